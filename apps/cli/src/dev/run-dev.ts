import { basename } from 'node:path';
import { failingCapabilities } from '@openflows/common';
import { githubCapabilities } from '@openflows/github';
import { answerOf } from '@openflows/http';
import { NO_SLACK_CONTEXT, SLACK_CAPABILITIES } from '@openflows/slack';
import {
  bundleFlow,
  createFlowFetch,
  discoverSubscriptions,
  executeFlow,
  type DeclaredSubscription,
  type RunServices,
} from '@openflows/runtime';
import { describeCall, type LlmCallRecord } from '@openflows/llm';
import { SdkError, type GithubContext } from '@openflows/sdk';
import { CliError } from '../cli-error';
import { assertRequiredVariables } from '../flow-variables';
import { print } from '../output';
import { consoleFlowLogger } from './console-log';
import { devRequestEvent, devTickEvent } from './dev-endpoint-event';
import { devConfigFrom, localSecret, type DevConfig } from './dev-config';
import { devEvent, parseEventOption, parseRepo, readPayloadFile, withRepository, type DevEvent } from './dev-event';
import { examplePayload } from './example-payload';
import { createLocalLlm } from './local-chat';
import { createLocalGithub, type GithubCall } from './local-github';
import { explainNoMatch } from './match-report';
import { createMemoryStore } from './memory-store';

/** Options of `openflows dev`, as commander parses them. */
export interface DevOptions {
  /** `<name>[.<action>]`, e.g. `issues.opened`. */
  event?: string;
  /** `<METHOD> <path>[?query]`: a request to the flow's HTTP endpoint instead of a GitHub event. */
  request?: string;
  /** `Name: value` headers and the body of `request`. */
  header?: string[];
  body?: string;
  /** Which endpoint `request` goes to when the flow has several. */
  endpoint?: string;
  /** A tick of the flow's schedule instead of a GitHub event. */
  tick?: boolean;
  /** Which schedule ticks when the flow has several (its target, e.g. `every 60000`). */
  schedule?: string;
  /** A JSON payload file; default: GitHub's published example for the event. */
  payload?: string;
  env: Record<string, string>;
  live?: boolean;
  /** `owner/repo` the event is for; default: the flow's `owner` and `repo` variables. */
  repo?: string;
  botLogin?: string;
}

/** What a local run did, for the closing summary. */
interface Tally {
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
  githubCalls: number;
}

/**
 * Runs a flow once, locally, as the platform would, for one GitHub event (`--event`), one request to
 * its HTTP endpoint (`--request`) or one tick of its schedule (`--tick`): bundles the folder, learns
 * its subscriptions, builds the event, and dispatches it with local services (real LLM calls, GitHub
 * requests printed instead of sent unless `live`, an in-memory store, log lines printed). Ends with a
 * summary: how many handlers ran, or why none matched; for a request, the HTTP response first.
 * @throws CliError for bad options, a missing required variable, an unknown event or action, or when
 *   the flow fails (its message); FlowDeployError when the flow does not build or declares nothing.
 */
export async function runDev(folder: string, options: DevOptions): Promise<void> {
  const config = devConfigFrom(process.env, options.live === true);
  const chosen = [options.event, options.request, options.tick].filter((o) => o !== undefined && o !== false).length;
  if (chosen !== 1) throw new CliError('give exactly one of --event <name[.action]>, --request "<METHOD> /path" and --tick');
  assertRequiredVariables(folder, options.env);
  const bundle = await bundleFlow(folder);
  const subscriptions = await discoverSubscriptions(bundle.code, options.env, bundle.name);
  const event = loadEvent(options, subscriptions);
  print(`dev: ${bundle.name} ← ${describe(event)} on ${event.target ?? '(no repository)'} (${sourceOf(options)})`);
  print(options.live ? `GitHub requests are SENT to ${config.githubApiUrl}` : 'GitHub requests are printed, not sent (--live sends them)');

  const tally: Tally = { llmCalls: 0, promptTokens: 0, completionTokens: 0, githubCalls: 0 };
  let handled: number;
  let result: unknown;
  try {
    ({ handled, result } = await executeFlow({
      flowName: bundle.name,
      bundle: bundle.code,
      env: options.env,
      event,
      services: localServices(config, bundle.name, event, options, tally),
    }));
  } catch (error) {
    throw new CliError(`the flow failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (event.provider === 'http' && handled > 0) printResponse(result);
  print(
    handled > 0
      ? `done: handled by ${handled} handler(s); ${tallyLine(tally, options.live === true)}`
      : explainNoMatch(subscriptions, event),
  );
}

/** Where the event comes from, for the first line. */
function sourceOf(options: DevOptions): string {
  if (options.request !== undefined) return "a local request; the endpoint's caller auth is not checked";
  if (options.tick) return 'a local tick';
  return options.payload ? basename(options.payload) : 'the example payload from @octokit/webhooks-examples';
}

/**
 * The event: a request to the flow's endpoint (`--request`), a tick of its schedule (`--tick`), or
 * a GitHub event from `--event`, `--payload` (or the example) and `--repo` (or the `owner`/`repo`
 * variables). @throws CliError
 */
function loadEvent(options: DevOptions, subscriptions: DeclaredSubscription[]): DevEvent {
  if (options.request !== undefined) return devRequestEvent(subscriptions, { ...options, request: options.request });
  if (options.tick) return devTickEvent(subscriptions, options.schedule);
  const { name, action } = parseEventOption(options.event!);
  const payload = options.payload ? readPayloadFile(options.payload) : examplePayload(name, action);
  const { owner, repo } = options.env;
  const repository = options.repo ? parseRepo(options.repo) : owner && repo ? { owner, repo } : undefined;
  return devEvent(name, action, repository ? withRepository(payload, repository) : payload);
}

function localServices(config: DevConfig, flowName: string, event: DevEvent, options: DevOptions, tally: Tally): RunServices {
  const onLlmCall = (call: LlmCallRecord) => {
    tally.llmCalls += 1;
    tally.promptTokens += call.promptTokens;
    tally.completionTokens += call.completionTokens;
    print(`llm: ${describeCall(call)}`);
  };
  const onCall = (call: GithubCall) => {
    tally.githubCalls += 1;
    printGithubCall(call);
  };
  const github = createLocalGithub({
    baseUrl: config.githubApiUrl,
    live: options.live === true,
    token: config.githubToken,
    botLogin: options.botLogin,
    onCall,
  });
  const repository = event.payload.repository as { name?: string; owner?: { login?: string } } | undefined;
  const context: GithubContext = {
    repo: { owner: repository?.owner?.login ?? '', repo: repository?.name ?? '' },
    botLogin: options.botLogin,
  };
  return {
    ...createLocalLlm(config, flowName, onLlmCall),
    store: createMemoryStore(),
    fetch: createFlowFetch(config.egress, (line) => print(line)),
    getSecret: (name) => Promise.resolve().then(() => localSecret(config, name)),
    log: consoleFlowLogger(),
    providers: {
      github: { context, capabilities: githubCapabilities(github) },
      // The local loop replays GitHub events only; Slack calls say so rather than reach a workspace.
      slack: { context: NO_SLACK_CONTEXT, capabilities: failingCapabilities(SLACK_CAPABILITIES, slackNotLocal) },
    },
  };
}

function slackNotLocal(): SdkError {
  return new SdkError('SLACK_NOT_CONNECTED', '`openflows dev` replays GitHub events only; deploy the flow to try it on Slack');
}

/** The HTTP answer the platform would send for the handler's return value (or why it would answer 502). */
function printResponse(result: unknown): void {
  let answer;
  try {
    answer = answerOf({ ok: true, runId: 'above', result });
  } catch (error) {
    return print(`response: 502 (${error instanceof Error ? error.message : String(error)})`);
  }
  print(`response: ${answer.status}`);
  for (const [name, value] of Object.entries({ 'content-type': answer.type, ...answer.headers })) if (value) print(`  ${name}: ${value}`);
  if (answer.body) print(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
}

function printGithubCall({ method, path, body, status, sent }: GithubCall): void {
  print(`github: ${method} ${path} ${sent ? `→ ${status}` : '(not sent)'}`);
  if (body !== undefined) print(JSON.stringify(body, null, 2).replace(/^/gm, '  '));
}

function describe(event: DevEvent): string {
  return event.action ? `${event.name}.${event.action}` : event.name;
}

function tallyLine(tally: Tally, live: boolean): string {
  const llm = `${tally.llmCalls} LLM call(s), ${tally.promptTokens} prompt + ${tally.completionTokens} completion tokens`;
  return `${llm}; ${tally.githubCalls} GitHub request(s)${live || tally.githubCalls === 0 ? '' : ', not sent'}`;
}
