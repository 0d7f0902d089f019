import { SdkError, type ChatOptions } from '@openflows/sdk';
import type { GithubClient } from '@openflows/sdk/host';
import type { FetchRequest } from '../egress/flow-fetch';
import type { RunServices } from '../run';
import type { RunHandler } from './flow-run';

type Capability = (services: RunServices, args: unknown[]) => Promise<unknown>;

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new SdkError('INVALID_ARGUMENT', `${what} must be a string`);
  return value;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new SdkError('INVALID_ARGUMENT', `${what} must be an object`);
  return value as Record<string, unknown>;
}

/** Chat options as the flow gave them; none stays undefined (the LLM service applies its defaults). */
function optionsOf(options: unknown): ChatOptions | undefined {
  return options === undefined || options === null ? undefined : (record(options, 'options') as ChatOptions);
}

/** True when `key` is a property of `object` or of a prototype below Object.prototype (Octokit's namespaces are inherited). */
function hasOwnPath(object: object, key: string): boolean {
  for (
    let current: object | null = object;
    current && current !== Object.prototype;
    current = Object.getPrototypeOf(current) as object | null
  ) {
    if (Object.prototype.hasOwnProperty.call(current, key)) return true;
  }
  return false;
}

/** `github.<namespace>.<method>` of the host's Octokit, or INVALID_ARGUMENT. */
function restMethod(client: GithubClient, namespace: unknown, method: unknown): (params: unknown) => Promise<unknown> {
  const ns = text(namespace, 'the Octokit namespace');
  const name = text(method, 'the Octokit method');
  const group = hasOwnPath(client, ns) ? (client as unknown as Record<string, unknown>)[ns] : undefined;
  const fn = group && typeof group === 'object' && hasOwnPath(group, name) ? (group as Record<string, unknown>)[name] : undefined;
  if (typeof fn !== 'function') throw new SdkError('INVALID_ARGUMENT', `github.${ns}.${name} is not an Octokit REST method`);
  return fn as (params: unknown) => Promise<unknown>;
}

/** Octokit's paginate, loaded on first use: it is an ES module, which the unit tests' CommonJS loader cannot require. */
async function paginate(client: GithubClient, target: unknown, params: unknown): Promise<unknown> {
  const { composePaginateRest } = await import('@octokit/plugin-paginate-rest');
  const parameters = record(params, 'the parameters of github.paginate');
  const octokit = { request: client.request } as never;
  if (typeof target === 'string') return composePaginateRest(octokit, target as never, parameters as never);
  const named = record(target, 'the target of github.paginate');
  return composePaginateRest(octokit, restMethod(client, named.namespace, named.method) as never, parameters as never);
}

/**
 * The host services behind the bridge, by the capability names the guest sends (`guest/host.ts`,
 * `guest/clients.ts`, `guest/fetch.ts`). Arguments arrive as parsed JSON and are checked here.
 */
const CAPABILITIES: Record<string, Capability> = {
  'chat.complete': (s, [keyName, conversationId, message, options]) =>
    s.chatCompletion(text(keyName, 'keyName'), text(conversationId, 'conversationId'), text(message, 'text'), optionsOf(options)),
  'github.request': (s, [route, params]) => s.github().request(text(route, 'the route'), record(params, 'the parameters')),
  'github.rest': (s, [namespace, method, params]) => restMethod(s.github(), namespace, method)(record(params, 'the parameters')),
  'github.paginate': (s, [target, params]) => paginate(s.github(), target, params),
  'slack.apiCall': (s, [method, args]) => s.slack().apiCall(text(method, 'the Slack method'), record(args, 'the arguments')),
  'store.get': (s, [key]) => s.store.get(text(key, 'the key')),
  'store.set': (s, [key, value, options]) => s.store.set(text(key, 'the key'), value, record(options, 'options') as { ttl?: number }),
  'store.del': (s, [key]) => s.store.del(text(key, 'the key')),
  'fetch.request': (s, [request]) => {
    if (!s.fetch) throw new SdkError('NOT_IN_RUNTIME', 'fetch is not available here');
    return s.fetch(record(request, 'the request') as unknown as FetchRequest);
  },
};

/** The handler of a dispatched run: SDK calls go to `services`, log lines to its logger. */
export function dispatchHandler(services: RunServices): RunHandler {
  return {
    call(capability, args) {
      const run = Object.prototype.hasOwnProperty.call(CAPABILITIES, capability) ? CAPABILITIES[capability] : undefined;
      if (!run) return Promise.reject(new SdkError('INVALID_ARGUMENT', `unknown SDK call ${capability}`));
      return run(services, args);
    },
    log: (level, message, fields) => services.log[level](message, fields),
  };
}
