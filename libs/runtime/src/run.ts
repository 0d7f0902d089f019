import type { ChatCompletion, FlowEvent, FlowLogger, FlowStore, GithubContext, SlackContext } from '@openflows/sdk';
import type { GithubClient, SdkHost, SlackClient } from '@openflows/sdk/host';
import { createSdk } from '@openflows/sdk/sdk';
import { loadFlowModule } from './sandbox';

/** The host services one run binds the SDK to; the worker and the CLI's local loop each build theirs. */
export interface RunServices {
  chatCompletion: ChatCompletion;
  github(): GithubClient;
  githubContext(): GithubContext;
  slack(): SlackClient;
  slackContext(): SlackContext;
  store: FlowStore;
  log: FlowLogger;
}

/** What a run is asked to do: one event for one deployed flow. */
export interface RunRequest {
  flowName: string;
  bundle: string;
  env: Record<string, string>;
  /**
   * The event; `target` is what subscriptions match (`owner/repo`, `team/channel`, lower-case), and
   * `targets`, when given, are every name it matches under (Slack: team and channel by id or name);
   * `names`, when given, the event names a handler may listen to for it instead of `name` (Slack:
   * `message.<subtype>` for an edit, join…, which only flows that opted in receive).
   */
  event: FlowEvent & { target?: string; targets?: string[]; names?: string[] };
  services: RunServices;
}

/** What came of a run: how many handlers matched the event. */
export interface RunResult {
  handled: number;
}

/**
 * Runs a flow for one event, as flows.network does: `run()` is called, and each `listenToEvent` whose
 * source and event names match the event calls its handler. Resolves when `run()` and every matched
 * handler have settled, even handlers the flow forgot to await.
 * @throws whatever the flow threw (the caller records it on the run).
 */
export async function executeFlow(request: RunRequest): Promise<RunResult> {
  const { event, services } = request;
  const handlers: Promise<unknown>[] = [];
  const host: SdkHost = {
    listen(source, eventNames, handler) {
      const named = source.target === event.target || (event.targets?.includes(source.target) ?? false);
      const names = event.names ?? [event.name];
      const matches = source.provider === event.provider && named && eventNames.some((n) => names.includes(n));
      if (!matches) return Promise.resolve();
      const handled = Promise.resolve().then(() => handler(event));
      handlers.push(handled);
      const settled = handled.then(() => undefined);
      // A flow that does not await listenToEvent leaves this promise unobserved; its rejection would
      // then crash the process. The error still fails the run through `handlers` below.
      settled.catch(() => undefined);
      return settled;
    },
    chatCompletion: services.chatCompletion,
    github: services.github,
    githubContext: services.githubContext,
    slack: services.slack,
    slackContext: services.slackContext,
    store: services.store,
    env: (name) => request.env[name],
    log: services.log,
  };
  const flow = loadFlowModule(request.bundle, createSdk(host), `${request.flowName}.js`);
  await flow.run();
  await Promise.all(handlers);
  return { handled: handlers.length };
}
