import { objectArgument, textArgument, type EffectContext, type ProviderCapability } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import type { GithubClient } from '@openflows/sdk/host';

/** The capability names of `github` in the guest (`libs/runtime/src/isolate/guest/clients.ts`). */
export const GITHUB_CAPABILITIES = ['github.rest', 'github.request', 'github.paginate'];

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

/** `github.<namespace>.<method>` of the host's Octokit. @throws SdkError INVALID_ARGUMENT for anything else. */
function restMethod(client: GithubClient, namespace: unknown, method: unknown): (params: unknown) => Promise<unknown> {
  const ns = textArgument(namespace, 'the Octokit namespace');
  const name = textArgument(method, 'the Octokit method');
  const group = hasOwnPath(client, ns) ? (client as unknown as Record<string, unknown>)[ns] : undefined;
  const fn = group && typeof group === 'object' && hasOwnPath(group, name) ? (group as Record<string, unknown>)[name] : undefined;
  if (typeof fn !== 'function') throw new SdkError('INVALID_ARGUMENT', `github.${ns}.${name} is not an Octokit REST method`);
  return fn as (params: unknown) => Promise<unknown>;
}

/** Octokit's paginate, loaded on first use: it is an ES module, which the unit tests' CommonJS loader cannot require. */
async function paginate(client: GithubClient, target: unknown, params: unknown): Promise<unknown> {
  const { composePaginateRest } = await import('@octokit/plugin-paginate-rest');
  const parameters = objectArgument(params, 'the parameters of github.paginate');
  const octokit = { request: client.request } as never;
  if (typeof target === 'string') return composePaginateRest(octokit, target as never, parameters as never);
  const named = objectArgument(target, 'the target of github.paginate');
  return composePaginateRest(octokit, restMethod(client, named.namespace, named.method) as never, parameters as never);
}

/** Octokit method names that only read (`issues.get`, `pulls.listFiles`, `repos.compareCommits`…). */
const READ_METHOD = /^(get|list|check|search|compare|download)/;

/**
 * Whether a `github` call has side effects (see ProviderRunBinding.isEffect): REST methods that do not
 * only read, requests whose route's verb is not GET or HEAD (a route without one is a GET); never `paginate`.
 */
export function isGithubEffect(capability: string, args: unknown[]): boolean {
  if (capability === 'github.rest') return !READ_METHOD.test(String(args[1]));
  if (capability === 'github.request') return /^(POST|PUT|PATCH|DELETE)\s/i.test(String(args[0]));
  return false;
}

/** The invisible trace an effect leaves in a comment's body, so a retry can find it (see EffectContext). */
const markerComment = (marker: string) => `<!-- ${marker} -->`;

/**
 * `issues.createComment` as one effect of a run: the body carries the step's marker; on a retry, a
 * comment of the issue with that marker, updated since the run began, is answered instead of a new one
 * (its journal entry was lost between the comment and the entry).
 */
async function createComment(client: GithubClient, params: Record<string, unknown>, effect?: EffectContext): Promise<unknown> {
  if (!effect || typeof params.body !== 'string') return client.issues.createComment(params as never);
  if (effect.retry) {
    const { owner, repo, issue_number } = params as { owner: string; repo: string; issue_number: number };
    const listed = await client.issues.listComments({ owner, repo, issue_number, since: effect.since, per_page: 100 });
    const done = listed.data.find((c) => c.body?.includes(markerComment(effect.marker)));
    if (done) return { status: 201, url: done.url, headers: {}, data: done };
  }
  return client.issues.createComment({ ...params, body: `${params.body}\n\n${markerComment(effect.marker)}` } as never);
}

/**
 * The `github` SDK calls of a run, executed with `client` (an installation's or a token's Octokit):
 * `github.rest` (`[namespace, method, params]`), `github.request` (`[route, params]`) and
 * `github.paginate` (`[route | { namespace, method }, params]`), each answering Octokit's response.
 * Journaled comments carry their run's marker (see createComment).
 */
export function githubCapabilities(client: GithubClient): Record<string, ProviderCapability> {
  return {
    'github.rest': async ([namespace, method, params], effect) => {
      const parameters = objectArgument(params, 'the parameters');
      if (namespace === 'issues' && method === 'createComment') return createComment(client, parameters, effect);
      return restMethod(client, namespace, method)(parameters);
    },
    'github.request': async ([route, params]) => client.request(textArgument(route, 'the route'), objectArgument(params, 'the parameters')),
    'github.paginate': ([target, params]) => paginate(client, target, params),
  };
}
