import type { Octokit } from '@octokit/rest';
import type { WebClient } from '@slack/web-api';
import type { ChatCompletion, EventHandler, EventSource, FlowLogger, FlowStore, GithubContext, SlackContext } from './types';

/**
 * The GitHub client flows get: Octokit's REST namespaces (`issues`, `pulls`, …), `request`, and
 * `paginate(method | route, params)` resolving to every item of every page.
 */
export type GithubClient = Octokit['rest'] & { request: Octokit['request']; paginate: Octokit['paginate'] };

/** The Slack client flows get: `@slack/web-api`'s WebClient, authenticated as the workspace's bot. */
export type SlackClient = WebClient;

/**
 * What the platform binds the SDK to: one host per run (or per deploy-time discovery). Flows never see
 * it; `libs/runtime` implements it over the platform's services.
 */
export interface SdkHost {
  listen(source: EventSource, eventNames: string[], handler: EventHandler): Promise<void>;
  chatCompletion: ChatCompletion;
  /** @throws SdkError GITHUB_NOT_CONNECTED when no installation covers the event's repository. */
  github(): GithubClient;
  githubContext(): GithubContext;
  /** @throws SdkError SLACK_NOT_CONNECTED when the event's workspace is not connected (or not a Slack event). */
  slack(): SlackClient;
  slackContext(): SlackContext;
  store: FlowStore;
  /**
   * An SDK call by capability name, a provider's (`telegram.sendMessage`, `telegram.client`) or the
   * platform's (`secrets.get`), arguments and result as JSON.
   * @throws SdkError from the provider or service (NOT_CONNECTED, REQUEST_FAILED, SECRET_NOT_FOUND…).
   */
  call(capability: string, args: unknown[]): Promise<unknown>;
  /** A provider's context of the current event by SDK namespace (`telegram`); undefined outside its events. */
  context(namespace: string): unknown;
  env(name: string): string | undefined;
  log: FlowLogger;
}
