import type { GithubClient, SdkHost } from './host';
import {
  SdkError,
  type ChatCompletion,
  type EventHandler,
  type EventSource,
  type FlowLogger,
  type FlowStore,
  type GithubContext,
} from './types';

/** `github` in a flow: a source builder, the event's context, and the installation's Octokit. */
export type GithubApi = GithubClient & {
  /** The source for `listenToEvent`: events of one repository. */
  repo(owner: string, repo: string): EventSource;
  readonly context: GithubContext;
};

/** Everything `@openflows/sdk` exports to flows. */
export interface Sdk {
  /**
   * Subscribes to events. At deploy the platform records the subscription; when an event arrives it
   * calls `handler` if the event matches `source` and one of `eventNames`.
   * @throws SdkError INVALID_ARGUMENT for an empty name list or a malformed source.
   */
  listenToEvent(source: EventSource, eventNames: string | string[], handler: EventHandler): Promise<void>;
  chatCompletion: ChatCompletion;
  github: GithubApi;
  store: FlowStore;
  /**
   * A deploy-time variable (`openflows deploy --env name=value`).
   * @throws SdkError MISSING_ENV when it is unset and no fallback is given.
   */
  env(name: string, fallback?: string): string;
  log: FlowLogger;
}

function githubSource(owner: string, repo: string): EventSource {
  if (!owner || !repo || owner.includes('/') || repo.includes('/')) {
    throw new SdkError('INVALID_ARGUMENT', `github.repo(owner, repo) needs two names, got ${JSON.stringify([owner, repo])}`);
  }
  return { provider: 'github', target: `${owner}/${repo}`.toLowerCase() };
}

function githubApi(host: SdkHost): GithubApi {
  const own: Record<string | symbol, unknown> = { repo: githubSource };
  // A proxy so that Octokit (and the installation token behind it) is only created when a flow uses it.
  return new Proxy(own, {
    get(target, property) {
      if (property in target) return target[property];
      if (property === 'context') return host.githubContext();
      return (host.github() as unknown as Record<string | symbol, unknown>)[property];
    },
  }) as unknown as GithubApi;
}

/** Builds the SDK object a flow sees, bound to `host`. */
export function createSdk(host: SdkHost): Sdk {
  return {
    listenToEvent(source, eventNames, handler) {
      const names = typeof eventNames === 'string' ? [eventNames] : eventNames;
      if (!source || source.provider !== 'github' || typeof source.target !== 'string') {
        throw new SdkError('INVALID_ARGUMENT', 'listenToEvent needs a source such as github.repo(owner, repo)');
      }
      if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '')) {
        throw new SdkError('INVALID_ARGUMENT', 'listenToEvent needs at least one event name, e.g. ["issues"]');
      }
      if (typeof handler !== 'function') throw new SdkError('INVALID_ARGUMENT', 'listenToEvent needs a handler function');
      return host.listen(source, names, handler);
    },
    chatCompletion: (keyName, conversationId, text, options) => host.chatCompletion(keyName, conversationId, text, options),
    github: githubApi(host),
    store: host.store,
    env(name, fallback) {
      const value = host.env(name) ?? fallback;
      if (value === undefined)
        throw new SdkError('MISSING_ENV', `deploy-time variable "${name}" is not set (openflows deploy --env ${name}=…)`);
      return value;
    },
    log: host.log,
  };
}

/** The host outside the platform: every call explains where the SDK works. */
export function unboundHost(): SdkHost {
  const fail = (): never => {
    throw new SdkError('NOT_IN_RUNTIME', '@openflows/sdk only works inside an OpenFlows flow run (try `openflows dev <flow>`)');
  };
  const store: FlowStore = { get: fail, set: fail, del: fail };
  const log: FlowLogger = { debug: fail, info: fail, warn: fail, error: fail };
  return { listen: fail, chatCompletion: fail, github: fail, githubContext: fail, store, env: fail, log };
}
