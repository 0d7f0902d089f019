/**
 * The SDK's host inside the isolate: `createSdk` (the same code flows get outside) bound to the
 * bridge. What a run needs synchronously (env, the event, the GitHub and Slack contexts) arrives as
 * data when the run starts; everything else is a bridge call.
 */
import {
  SdkError,
  type FlowEvent,
  type FlowLogger,
  type FlowStore,
  type GithubContext,
  type LogFields,
  type SlackContext,
} from '@openflows/sdk';
import type { SdkHost } from '@openflows/sdk/host';
import { BRIDGE_LIMITS } from '../limits';
import { call, post, postLog } from './bridge';
import { githubClient, slackClient } from './clients';

/** What the host sends when a run starts (the JSON of `RunStart` in the host's `flow-isolate.ts`). */
export interface RunStart {
  mode: 'dispatch' | 'discover';
  env: Record<string, string>;
  /** Dispatch only. `target`/`targets`/`names` as in the host's `RunRequest.event`. */
  event?: FlowEvent & { target?: string; targets?: string[]; names?: string[] };
  /** Each provider's context by SDK namespace (`github`, `slack`), as the host's bindings give them. */
  contexts?: Record<string, unknown>;
}

/** The run this context is serving, and the handler promises it started. */
export interface CurrentRun {
  start: RunStart;
  handlers: Promise<unknown>[];
}

let current: CurrentRun | undefined;
/** Log lines sent in this run: one past the host's limit is enough for it to fail the run with LIMIT_LOG. */
let logLines = 0;

export function beginRun(start: RunStart): CurrentRun {
  current = { start, handlers: [] };
  logLines = 0;
  return current;
}

export function endRun(): void {
  current = undefined;
}

function running(): CurrentRun {
  if (!current) throw new SdkError('NOT_IN_RUNTIME', 'this SDK call was made outside a run (in top-level code or after the run ended)');
  return current;
}

function inHandler(): CurrentRun {
  const run = running();
  if (run.start.mode === 'discover') {
    throw new SdkError('NOT_IN_HANDLER', 'only listenToEvent, env and log work in run(); call the rest from an event handler');
  }
  return run;
}

function logLine(level: keyof FlowLogger) {
  return (message: string, fields?: LogFields) => {
    logLines += 1;
    if (logLines > BRIDGE_LIMITS.logLines + 1) return;
    let json: string;
    try {
      json = fields === undefined ? '' : JSON.stringify(fields);
    } catch {
      json = JSON.stringify({ fields: 'not serialisable' });
    }
    // The line past the limit goes out at once: the host fails the run on it, and the flow may never yield.
    postLog(level, String(message), json, logLines > BRIDGE_LIMITS.logLines);
  };
}

export const guestLog: FlowLogger = { debug: logLine('debug'), info: logLine('info'), warn: logLine('warn'), error: logLine('error') };

const store: FlowStore = {
  get: (key) => (inHandler(), call('store.get', [key])) as Promise<never>,
  set: async (key, value, options) => {
    inHandler();
    await call('store.set', [key, value, options ?? {}]);
  },
  del: async (key) => {
    inHandler();
    await call('store.del', [key]);
  },
};

function matches(run: CurrentRun, source: { provider: string; target: string }, eventNames: string[]): boolean {
  const event = run.start.event;
  if (!event) return false;
  const named = source.target === event.target || (event.targets?.includes(source.target) ?? false);
  const names = event.names ?? [event.name];
  return source.provider === event.provider && named && eventNames.some((n) => names.includes(n));
}

/** Dispatch: calls the handler when the event matches; discover: reports the subscription to the host. */
function listen(
  source: { provider: string; target: string; options?: unknown },
  eventNames: string[],
  handler: (event: FlowEvent) => unknown,
): Promise<void> {
  const run = running();
  if (run.start.mode === 'discover') {
    post('subscribe', JSON.stringify({ provider: source.provider, target: source.target, names: eventNames, options: source.options }));
    return Promise.resolve();
  }
  if (!matches(run, source, eventNames)) return Promise.resolve();
  const event = run.start.event as FlowEvent;
  const handled = Promise.resolve().then(() => handler(event));
  run.handlers.push(handled);
  const settled = handled.then(() => undefined);
  // A flow that does not await listenToEvent leaves this promise unobserved; the error still fails the run.
  settled.catch(() => undefined);
  return settled;
}

const github = githubClient();
const slack = slackClient();

export const guestHost: SdkHost = {
  listen: listen as SdkHost['listen'],
  chatCompletion: (keyName, conversationId, text, options) => {
    inHandler();
    return call('chat.complete', [keyName, conversationId, text, options]) as never;
  },
  github: () => (inHandler(), github),
  githubContext: () => (inHandler().start.contexts?.github as GithubContext | undefined) ?? { repo: { owner: '', repo: '' } },
  slack: () => (inHandler(), slack),
  slackContext: () =>
    (inHandler().start.contexts?.slack as SlackContext | undefined) ?? {
      teamId: '',
      teamName: '',
      account: '',
      chatId: '',
      sender: { id: '' },
    },
  store,
  call: (capability, args) => (inHandler(), call(capability, args)),
  context: (namespace) => inHandler().start.contexts?.[namespace],
  env: (name) => {
    const env = running().start.env;
    return Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
  },
  log: guestLog,
};
