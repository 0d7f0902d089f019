/**
 * The vendor clients flows get, as shapes only: every method call becomes one bridge message that
 * the host executes with the real client (Octokit for GitHub, WebClient for Slack).
 */
import type { GithubClient, SlackClient } from '@openflows/sdk/host';
import { call } from './bridge';

/** Names a proxy never answers: `then` would make it look like a promise to `await`. */
function unanswered(property: string | symbol): property is symbol {
  return typeof property === 'symbol' || property === 'then' || property === 'toJSON';
}

/** Octokit methods as flows see them, tagged with their names for `github.paginate(github.issues.listComments, …)`. */
const octokitMethods = new WeakMap<object, { namespace: string; method: string }>();

function octokitNamespace(namespace: string): Record<string, unknown> {
  const methods = new Map<string, unknown>();
  return new Proxy(
    {},
    {
      get(_target, method) {
        if (unanswered(method)) return undefined;
        if (!methods.has(method)) {
          const fn = (params?: unknown) => call('github.rest', [namespace, method, params ?? {}]);
          octokitMethods.set(fn, { namespace, method });
          methods.set(method, fn);
        }
        return methods.get(method);
      },
    },
  );
}

/**
 * `github` inside the isolate: Octokit's REST namespaces (`github.issues.createComment({...})`),
 * `request(route, params)` and `paginate(route | method, params)`, each answered by the host's
 * installation Octokit with the same response shapes (`{ status, url, headers, data }`).
 */
export function githubClient(): GithubClient {
  const namespaces = new Map<string, Record<string, unknown>>();
  const own: Record<string, unknown> = {
    request: (route: string, params?: unknown) => call('github.request', [route, params ?? {}]),
    paginate: (target: unknown, params?: unknown) => {
      const named = typeof target === 'function' ? octokitMethods.get(target) : undefined;
      return call('github.paginate', [named ?? String(target), params ?? {}]);
    },
  };
  const client: Record<string, unknown> = new Proxy(own, {
    get(target, property) {
      if (unanswered(property)) return undefined;
      if (property in target) return target[property];
      if (property === 'rest') return client;
      if (!namespaces.has(property)) namespaces.set(property, octokitNamespace(property));
      return namespaces.get(property);
    },
  });
  return client as unknown as GithubClient;
}

/** A WebClient method at any depth (`chat.postMessage`, `admin.conversations.create`), called through `apiCall`. */
function slackMethod(path: string[]): unknown {
  const invoke = (args?: unknown) => call('slack.apiCall', [path.join('.'), args ?? {}]);
  return new Proxy(invoke, {
    get(_target, property) {
      if (unanswered(property)) return undefined;
      return slackMethod([...path, property]);
    },
  });
}

/** `slack.client` inside the isolate: the WebClient's methods and `apiCall(method, args)`. */
export function slackClient(): SlackClient {
  const apiCall = (method: string, args?: unknown) => call('slack.apiCall', [String(method), args ?? {}]);
  return new Proxy({ apiCall } as Record<string, unknown>, {
    get(target, property) {
      if (unanswered(property)) return undefined;
      if (property === 'apiCall') return target.apiCall;
      return slackMethod([property]);
    },
  }) as unknown as SlackClient;
}
