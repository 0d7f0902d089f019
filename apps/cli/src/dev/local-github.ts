import { Octokit } from '@octokit/rest';
import type { GithubClient } from '@openflows/sdk/host';

/** One GitHub request a local run made; `status` is GitHub's answer, or the made-up one of a dry run. */
export interface GithubCall {
  method: string;
  /** Path and query under the API's base URL, e.g. `/repos/octo/hello/issues/1/comments`. */
  path: string;
  body?: unknown;
  status: number;
  sent: boolean;
}

export interface LocalGithubOptions {
  /** `GITHUB_API_URL`. */
  baseUrl: string;
  /** Send requests to GitHub (with `token`) instead of answering them locally. */
  live: boolean;
  token?: string;
  /** Author of the comments, issues… a dry run pretends to create. */
  botLogin?: string;
  /** Called for each request: before answering in a dry run, after GitHub's answer when live. */
  onCall(call: GithubCall): void;
}

type Data = Record<string, unknown> | unknown[] | undefined;

// Collections end in a plural noun (`…/comments`, `…/labels`); `/repos/{owner}/{repo}` does not count.
function isCollection(path: string): boolean {
  const segments = path.split('?')[0].split('/').filter(Boolean);
  return !(segments[0] === 'repos' && segments.length === 3) && /[a-z]s$/.test(segments.at(-1) ?? '');
}

/**
 * The `github` client of a local run: a real `@octokit/rest` Octokit, so flows call it exactly as on
 * the platform. Every request goes through `onCall`. Unless `live`, none is sent: each is answered
 * with a plausible made-up response (writes: `{ id, ...body, user: <bot>, created_at }` with 201 for
 * POST and 200 otherwise; DELETE: 204; GET: `[]` for collections, else `{}`).
 */
export function createLocalGithub(options: LocalGithubOptions): GithubClient {
  const octokit = new Octokit({ baseUrl: options.baseUrl, auth: options.live ? options.token : undefined, userAgent: 'openflows-cli-dev' });
  let lastId = 0;
  octokit.hook.wrap('request', async (request, endpointOptions) => {
    const { method, url, body } = octokit.request.endpoint.parse(endpointOptions);
    const path = url.startsWith(options.baseUrl) ? url.slice(options.baseUrl.length) : url;
    if (options.live) {
      try {
        const response = await request(endpointOptions);
        options.onCall({ method, path, body, status: response.status, sent: true });
        return response;
      } catch (error) {
        options.onCall({ method, path, body, status: (error as { status?: number }).status ?? 0, sent: true });
        throw error;
      }
    }
    const status = method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200;
    options.onCall({ method, path, body, status, sent: false });
    let data: Data;
    if (method === 'GET') data = isCollection(path) ? [] : {};
    else if (method !== 'DELETE') data = made(++lastId, body, options.botLogin);
    return { status, url, headers: {}, data };
  });
  return Object.assign(Object.create(octokit.rest) as GithubClient, { request: octokit.request });
}

function made(id: number, body: unknown, botLogin = 'openflows-dev[bot]'): Record<string, unknown> {
  const now = new Date().toISOString();
  const fields = typeof body === 'object' && body !== null ? body : {};
  return { id, ...fields, user: { login: botLogin, type: 'Bot' }, created_at: now, updated_at: now };
}
