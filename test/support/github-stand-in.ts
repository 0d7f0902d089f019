/**
 * A local stand-in of the GitHub REST API (the part a GitHub App uses) on 127.0.0.1, answering in
 * GitHub's wire format: response bodies are the examples from GitHub's OpenAPI description
 * (`@octokit/openapi`, components.examples) with our ids/names/urls put in.
 */
import { createHash, generateKeyPairSync, randomBytes, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}
export interface RecordedComment {
  owner: string;
  repo: string;
  issue_number: number;
  body: string;
  id: number;
  /** ISO 8601, seconds precision as GitHub answers it. */
  created_at: string;
}
/** A comment's body as GitHub shows it: without HTML comments (such as a run's effect marker), trimmed. */
export function visibleBody(body: string | undefined): string | undefined {
  return body?.replace(/<!--[\s\S]*?-->/g, '').trim();
}

/** A file of a pull request as `GET /repos/{owner}/{repo}/pulls/{n}/files` lists it; `patch` is its unified diff. */
export interface StandInPullFile {
  filename: string;
  status?: 'added' | 'modified' | 'removed' | 'renamed';
  patch?: string;
}
/** A review posted with `POST /repos/{owner}/{repo}/pulls/{n}/reviews`. */
export interface RecordedReview {
  owner: string;
  repo: string;
  pull_number: number;
  id: number;
  commit_id?: string;
  event?: string;
  body?: string;
  comments: { path: string; line?: number; side?: string; body: string }[];
}
/** An installation of the app: `repositories` are 'owner/repo' names (its coverage when selection is 'selected'; what GET /installation/repositories lists either way). */
export interface StandInInstallation {
  account: string;
  accountType?: 'User' | 'Organization';
  repository_selection: 'all' | 'selected';
  repositories: string[];
  permissions?: Record<string, string>;
  /** GitHub logins who may use the installation besides its account (members of the organization): `GET /user/installations` lists it for them. */
  members?: string[];
}
/** A repository webhook created through the hooks API (`POST /repos/{owner}/{repo}/hooks`). */
export interface StandInHook {
  id: number;
  /** `owner/repo` as the request named it. */
  repository: string;
  events: string[];
  active: boolean;
  config: { url?: string; content_type?: string; secret?: string; insecure_ssl?: string };
}
/** The GitHub App a manifest conversion created (`POST /app-manifests/{code}/conversions`). */
export interface StandInManifestApp {
  manifest: any;
  id: number;
  slug: string;
  pem: string;
  webhook_secret: string;
  client_id: string;
  client_secret: string;
}
/** The App's settings as `GET /app` answers them: the events it subscribes to and its permissions. */
export interface StandInAppSettings {
  events: string[];
  permissions: Record<string, string>;
}
export interface GithubStandIn {
  url: string;
  /**
   * The App's events and permissions (`GET /app`; installations without their own `permissions` have
   * these): change them as the App's owner does in its settings.
   */
  app: StandInAppSettings;
  /** Repository webhooks by id; deleted ones are removed. */
  hooks: Map<number, StandInHook>;
  /**
   * A classic personal access token (`ghp_…`) of `login` with OAuth `scopes` (sent back in
   * `X-OAuth-Scopes` by GET /user); it administers `adminRepos` (`owner/repo`) and every
   * repository of the account `login`.
   */
  issuePersonalToken(login: string, scopes: string[], adminRepos?: string[]): string;
  /**
   * What GitHub does when a user creates an App from a manifest form: a one-time code appended to the
   * manifest's redirect URL, exchanged at POST /app-manifests/{code}/conversions.
   */
  issueManifestCode(manifest: unknown): string;
  /** Apps created by manifest conversions. */
  manifestApps: StandInManifestApp[];
  requests: RecordedRequest[];
  comments: RecordedComment[];
  /** Pull requests' files by `owner/repo#number` (lower-case), as the test sets them. */
  pulls: Map<string, StandInPullFile[]>;
  /**
   * Issues of a repository by `owner/repo` (lower-case), as the test sets them, served by
   * `GET /repos/{owner}/{repo}/issues` on GitHub's example issue (`since` on `updated_at`, pages).
   */
  issues: Map<string, StandInIssue[]>;
  reviews: RecordedReview[];
  installations: Map<number, StandInInstallation>;
  /**
   * What GitHub does when `login` approves the OAuth app on its authorize page: a one-time code it
   * appends to the redirect URL. Exchanged at POST /login/oauth/access_token for a `gho_…` token.
   */
  issueOAuthCode(login: string): string;
  close(): Promise<void>;
}

/**
 * A GitHub App key pair as PEM. `privateKeyPem` is PKCS#1 ('BEGIN RSA PRIVATE KEY'), the format
 * GitHub issues; `@octokit/app` (universal-github-app-jwt) converts it on Node. `publicKeyPem` is SPKI.
 */
export function generateAppKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** The new-file line numbers a unified diff shows (context and added lines), which review comments may target. */
function rightSideLines(patch = ''): Set<number> {
  const lines = new Set<number>();
  let line = 0;
  for (const text of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) line = Number(hunk[1]);
    else if (line > 0 && !text.startsWith('-') && !text.startsWith('\\')) lines.add(line++);
  }
  return lines;
}

let openapi: any;
/** A deep copy of GitHub's OpenAPI example `name` (components.examples), e.g. 'integration'. */
function example(name: string): any {
  openapi ??= JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'));
  return structuredClone(openapi.components.examples[name].value);
}

/** An issue the test puts in a repository: what differs from GitHub's example issue. */
export interface StandInIssue {
  number: number;
  title: string;
  body?: string;
  login?: string;
  /** ISO 8601; `updated_at` defaults to it. */
  created_at: string;
  updated_at?: string;
  state?: 'open' | 'closed';
  /** A pull request: GitHub lists them among issues, with a `pull_request` field. */
  pull_request?: boolean;
}

/** A GitHub error answer: `{ message, documentation_url, status }`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentationUrl = docs(''),
  ) {
    super(message);
  }
}
function docs(page: string) {
  return `https://docs.github.com/rest${page && '/'}${page}`;
}
const BAD_JWT = 'A JSON web token could not be decoded';
const EXP_PAST = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const EXP_FAR = "'Expiration time' claim ('exp') is too far in the future";
const IAT_BAD = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";

const numericId = (s: string) => parseInt(createHash('sha1').update(s).digest('hex').slice(0, 7), 16);
/** GitHub's legacy global node id: base64 of `0<type length>:<Type><id>`, e.g. 'MDQ6VXNlcjE=' for User 1. */
const nodeId = (type: string, id: number | string) => Buffer.from(`0${type.length}:${type}${id}`).toString('base64');

/**
 * Starts the stand-in on a random loopback port. Endpoints: GET /app, GET /app/installations/:id,
 * GET /repos/:owner/:repo/installation, POST /app/installations/:id/access_tokens (all with the
 * app's RS256 JWT, verified against `publicKeyPem`, `iss` = appId), and, with an installation token
 * it issued, GET /installation/repositories (the installation's `repositories`, paged by `per_page`
 * (default 30, at most 100) and `page` with a `Link` header as GitHub pages) and
 * POST /repos/:owner/:repo/issues/:n/comments; the OAuth web flow's token exchange
 * POST /login/oauth/access_token (client id and secret from `oauth`, codes from `issueOAuthCode`) and
 * GET /user and GET /user/installations (the installations of the user's account and those listing
 * the user in `members`) with the `gho_…` token it issued, and the authorize page GET
 * /login/oauth/authorize (200 for the OAuth client id with a redirect_uri, else 404); with a classic token from `issuePersonalToken`, GET /user
 * (answering `X-OAuth-Scopes`), the repository hooks API POST/GET /repos/:owner/:repo/hooks and
 * PATCH/DELETE /repos/:owner/:repo/hooks/:id (404 without a hook scope or admin rights, as GitHub
 * answers) and issue comments; POST /app-manifests/:code/conversions for codes from
 * `issueManifestCode` (once each). Anything else
 * is 404 as GitHub answers it. Every request is recorded in `requests`, created comments in `comments`.
 */
export async function startGithubStandIn(options: {
  appId: number | string;
  publicKeyPem: string;
  appSlug?: string;
  /** The OAuth credentials POST /login/oauth/access_token accepts (the App's client id and secret). */
  oauth?: { clientId: string; clientSecret: string };
}): Promise<GithubStandIn> {
  const slug = options.appSlug ?? 'openflows-test';
  const requests: RecordedRequest[] = [];
  const comments: RecordedComment[] = [];
  const pulls = new Map<string, StandInPullFile[]>();
  const issues = new Map<string, StandInIssue[]>();
  const reviews: RecordedReview[] = [];
  const installations = new Map<number, StandInInstallation>();
  const tokens = new Map<string, { installationId: number; expiresAt: number }>();
  /** OAuth codes not yet exchanged and user access tokens issued, each to a login. */
  const oauthCodes = new Map<string, string>();
  const userTokens = new Map<string, string>();
  const personalTokens = new Map<string, { login: string; scopes: string[]; adminRepos: string[] }>();
  const hooks = new Map<number, StandInHook>();
  const manifestCodes = new Map<string, unknown>();
  const manifestApps: StandInManifestApp[] = [];
  const app: StandInAppSettings = {
    permissions: { issues: 'write', metadata: 'read', pull_requests: 'write', contents: 'read' },
    events: ['issue_comment', 'issues', 'pull_request'],
  };
  let nextHookId = 4_000_001;
  let url = '';
  let nextCommentId = 1_000_001;

  const user = (login: string, type = 'User') => {
    const u = example('integration').owner;
    const path = encodeURIComponent(login);
    for (const key of Object.keys(u))
      if (key.endsWith('_url') && key !== 'avatar_url')
        u[key] = String(u[key]).replace('https://api.github.com/users/octocat', `${url}/users/${path}`);
    return {
      ...u,
      login,
      id: numericId(login),
      node_id: nodeId(type, numericId(login)),
      url: `${url}/users/${path}`,
      html_url: `https://github.com/${login}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${numericId(login)}?v=4`,
      type,
    };
  };
  const appJson = () => ({
    ...example('integration'),
    id: Number(options.appId),
    slug,
    client_id: `Iv23li${createHash('sha1').update(String(options.appId)).digest('hex').slice(0, 14)}`,
    node_id: nodeId('Integration', options.appId),
    owner: user('openflows', 'Organization'),
    name: slug,
    html_url: `https://github.com/apps/${slug}`,
    permissions: { ...app.permissions },
    events: [...app.events],
  });
  const installationJson = (id: number) => {
    const inst = installations.get(id);
    if (!inst) throw new HttpError(404, 'Not Found', docs('apps/apps#get-an-installation-for-the-authenticated-app'));
    const account = user(inst.account, inst.accountType);
    return {
      ...example('base-installation'),
      id,
      account,
      app_id: Number(options.appId),
      app_slug: slug,
      target_id: account.id,
      target_type: account.type,
      access_tokens_url: `${url}/app/installations/${id}/access_tokens`,
      repositories_url: `${url}/installation/repositories`,
      html_url: `https://github.com/settings/installations/${id}`,
      permissions: inst.permissions ?? appJson().permissions,
      events: appJson().events,
      repository_selection: inst.repository_selection,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
    };
  };
  const covers = (inst: StandInInstallation, owner: string, repo: string) =>
    inst.repository_selection === 'all'
      ? inst.account.toLowerCase() === owner.toLowerCase()
      : inst.repositories.some((r) => r.toLowerCase() === `${owner}/${repo}`.toLowerCase());
  const repoJson = (fullName: string) => {
    const [owner, name] = fullName.split('/');
    return {
      id: numericId(fullName),
      node_id: nodeId('Repository', numericId(fullName)),
      name,
      full_name: fullName,
      owner: user(owner),
      private: false,
      html_url: `https://github.com/${fullName}`,
      url: `${url}/repos/${fullName}`,
    };
  };

  /** Checks `Authorization: Bearer <RS256 JWT>` signed with the app's key, as GitHub does. */
  const requireJwt = (req: IncomingMessage) => {
    const [scheme, jwt = ''] = (req.headers.authorization ?? '').split(' ');
    const [header, payload, signature, ...rest] = jwt.split('.');
    if (scheme.toLowerCase() !== 'bearer' || !signature || rest.length) throw new HttpError(401, BAD_JWT);
    let claims: any;
    try {
      if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') throw new Error('alg');
      const ok = verifySignature('sha256', Buffer.from(`${header}.${payload}`), options.publicKeyPem, Buffer.from(signature, 'base64url'));
      if (!ok) throw new Error('signature');
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    } catch {
      throw new HttpError(401, BAD_JWT);
    }
    if (String(claims.iss) !== String(options.appId)) throw new HttpError(401, BAD_JWT);
    const now = Math.floor(Date.now() / 1000);
    if (!Number.isInteger(claims.iat) || claims.iat > now + 60) throw new HttpError(401, IAT_BAD);
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw new HttpError(401, EXP_PAST);
    if (claims.exp > now + 600 + 60) throw new HttpError(401, EXP_FAR);
  };
  /** Checks `Authorization: token|Bearer ghs_…` is a live token this stand-in issued; returns its installation. */
  const requireInstallationToken = (req: IncomingMessage) => {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (!token) throw new HttpError(401, 'Requires authentication');
    const issued = tokens.get(token);
    if (!/^(token|bearer)$/i.test(scheme) || !issued || issued.expiresAt <= Date.now()) throw new HttpError(401, 'Bad credentials');
    return installations.get(issued.installationId)!;
  };

  /** The classic personal token of `Authorization: token|Bearer ghp_…`, if it is one this stand-in issued. */
  const personalToken = (req: IncomingMessage) => {
    const [scheme, token = ''] = (req.headers.authorization ?? '').split(' ');
    return /^(token|bearer)$/i.test(scheme) ? personalTokens.get(token) : undefined;
  };
  const administers = (t: { login: string; adminRepos: string[] }, owner: string, repo: string) =>
    t.login.toLowerCase() === owner.toLowerCase() || t.adminRepos.some((r) => r.toLowerCase() === `${owner}/${repo}`.toLowerCase());
  /**
   * The hooks API's access check: GitHub answers 404 to a token that cannot administer the repository
   * or lacks a hook scope (it does not reveal which).
   */
  const requireHookAccess = (req: IncomingMessage, owner: string, repo: string, page: string, needDelete = false) => {
    const t = personalToken(req);
    if (!t) throw new HttpError(401, 'Requires authentication', docs(page));
    const scopes = needDelete ? ['admin:repo_hook', 'repo'] : ['admin:repo_hook', 'write:repo_hook', 'repo'];
    if (!t.scopes.some((sc) => scopes.includes(sc)) || !administers(t, owner, repo)) throw new HttpError(404, 'Not Found', docs(page));
    return t;
  };
  /** A hook as GitHub answers it: the OpenAPI example `hook` with our id, urls and settings (the secret is never echoed). */
  const hookJson = (hook: StandInHook) => {
    const base = `${url}/repos/${hook.repository}/hooks/${hook.id}`;
    const { secret, ...config } = hook.config;
    return {
      ...example('hook'),
      id: hook.id,
      name: 'web',
      active: hook.active,
      events: hook.events,
      config: { ...config, ...(secret ? { secret: '********' } : {}) },
      url: base,
      test_url: `${base}/test`,
      ping_url: `${base}/pings`,
      deliveries_url: `${base}/deliveries`,
    };
  };
  const findHook = (owner: string, repo: string, id: string, page: string) => {
    const hook = hooks.get(Number(id));
    if (!hook || hook.repository.toLowerCase() !== `${owner}/${repo}`.toLowerCase()) throw new HttpError(404, 'Not Found', docs(page));
    return hook;
  };

  /** A repository as listings carry it: GitHub's example `repository-paginated-2` with our names and urls. */
  const listedRepoJson = (fullName: string) => {
    const repo = example('repository-paginated-2').repositories[0];
    for (const key of Object.keys(repo))
      if (typeof repo[key] === 'string')
        repo[key] = repo[key].replace('https://api.github.com/repos/octocat/Hello-World', `${url}/repos/${fullName}`);
    return { ...repo, ...repoJson(fullName) };
  };
  /** GitHub's `Link` header for page `page` of `pages` (`next`/`last`, `prev`/`first` where they exist). */
  const linkHeader = (path: string, perPage: number, page: number, pages: number) => {
    const link = (n: number, rel: string) => `<${url}${path}?per_page=${perPage}&page=${n}>; rel="${rel}"`;
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev')] : []),
      ...(page < pages ? [link(page + 1, 'next'), link(pages, 'last')] : []),
      ...(page > 1 ? [link(1, 'first')] : []),
    ];
    return links.length ? { link: links.join(', ') } : undefined;
  };

  /** An OAuth token error as GitHub answers it: 200 with `error`, `error_description`, `error_uri`. */
  const oauthError = (error: string, description: string): [number, unknown] => [
    200,
    {
      error,
      error_description: description,
      error_uri: `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${error.replace(/_/g, '-')}`,
    },
  ];

  /** The login of `Authorization: token|Bearer gho_…`, a user access token this stand-in issued. */
  const userLogin = (req: IncomingMessage) => {
    const [scheme, token = ''] = (req.headers.authorization ?? '').split(' ');
    return /^(token|bearer)$/i.test(scheme) ? userTokens.get(token) : undefined;
  };

  /** A comment as GitHub answers it: by the App's bot, or by the user whose personal token wrote it. */
  const commentJson = (c: RecordedComment, personalLogin?: string) => ({
    ...example('issue-comment'),
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url: `${url}/repos/${c.owner}/${c.repo}/issues/comments/${c.id}`,
    html_url: `https://github.com/${c.owner}/${c.repo}/issues/${c.issue_number}#issuecomment-${c.id}`,
    issue_url: `${url}/repos/${c.owner}/${c.repo}/issues/${c.issue_number}`,
    body: c.body,
    user: personalLogin ? user(personalLogin) : { ...user(`${slug}[bot]`, 'Bot'), html_url: `https://github.com/apps/${slug}` },
    created_at: c.created_at,
    updated_at: c.created_at,
    author_association: 'NONE',
    performed_via_github_app: personalLogin ? null : appJson(),
  });

  const routes: [string, RegExp, (req: IncomingMessage, m: string[], body: any) => [number, unknown, Record<string, string>?]][] = [
    [
      'GET',
      /^\/user\/installations$/,
      (req) => {
        // GitHub lists the App's installations the user may use: their own account's and their organizations'.
        const login = userLogin(req);
        if (!login)
          throw new HttpError(
            401,
            'Bad credentials',
            docs('apps/installations#list-app-installations-accessible-to-the-user-access-token'),
          );
        const query = new URL(req.url ?? '/', 'http://stand-in').searchParams;
        const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30) || 30, 1), 100);
        const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
        const theirs = [...installations]
          .filter(([, inst]) => inst.account.toLowerCase() === login.toLowerCase() || (inst.members ?? []).includes(login))
          .map(([id]) => installationJson(id));
        const pages = Math.max(Math.ceil(theirs.length / perPage), 1);
        return [
          200,
          { total_count: theirs.length, installations: theirs.slice((page - 1) * perPage, page * perPage) },
          linkHeader('/user/installations', perPage, page, pages),
        ];
      },
    ],
    [
      'POST',
      /^\/login\/oauth\/access_token$/,
      (_req, _m, body) => {
        // GitHub takes the parameters as JSON or form fields; the answer here is the JSON one (Accept: application/json).
        const params = typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : (body ?? {});
        if (!options.oauth || params.client_id !== options.oauth.clientId || params.client_secret !== options.oauth.clientSecret) {
          return oauthError('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
        }
        const login = oauthCodes.get(String(params.code));
        if (!login) return oauthError('bad_verification_code', 'The code passed is incorrect or expired.');
        oauthCodes.delete(String(params.code));
        const token = `gho_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'B').slice(0, 36)}`;
        userTokens.set(token, login);
        return [200, { access_token: token, token_type: 'bearer', scope: '' }];
      },
    ],
    [
      'GET',
      /^\/user$/,
      (req) => {
        const personal = personalToken(req);
        if (personal) {
          // Classic tokens: GitHub lists their scopes in X-OAuth-Scopes on every answer.
          return [200, { ...example('private-user'), ...user(personal.login) }, { 'x-oauth-scopes': personal.scopes.join(', ') }];
        }
        const login = userLogin(req);
        if (!login) throw new HttpError(401, 'Bad credentials', docs(''));
        return [200, { ...example('private-user'), ...user(login) }];
      },
    ],
    [
      'POST',
      /^\/repos\/([^/]+)\/([^/]+)\/hooks$/,
      (req, [, owner, repo], body) => {
        const page = 'webhooks/repos#create-a-repository-webhook';
        requireHookAccess(req, owner, repo, page);
        if (typeof body?.config?.url !== 'string' || !body.config.url) {
          throw new HttpError(422, 'Validation Failed', docs(page));
        }
        const hook: StandInHook = {
          id: nextHookId++,
          repository: `${owner}/${repo}`,
          events: Array.isArray(body.events) ? body.events : ['push'],
          active: body.active ?? true,
          config: { ...body.config },
        };
        hooks.set(hook.id, hook);
        return [201, hookJson(hook)];
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/hooks$/,
      (req, [, owner, repo]) => {
        requireHookAccess(req, owner, repo, 'webhooks/repos#list-repository-webhooks');
        const full = `${owner}/${repo}`.toLowerCase();
        return [200, [...hooks.values()].filter((h) => h.repository.toLowerCase() === full).map(hookJson)];
      },
    ],
    [
      'PATCH',
      /^\/repos\/([^/]+)\/([^/]+)\/hooks\/(\d+)$/,
      (req, [, owner, repo, id], body) => {
        const page = 'webhooks/repos#update-a-repository-webhook';
        requireHookAccess(req, owner, repo, page);
        const hook = findHook(owner, repo, id, page);
        if (Array.isArray(body?.events)) hook.events = body.events;
        if (typeof body?.active === 'boolean') hook.active = body.active;
        if (body?.config) hook.config = { ...hook.config, ...body.config };
        return [200, hookJson(hook)];
      },
    ],
    [
      'DELETE',
      /^\/repos\/([^/]+)\/([^/]+)\/hooks\/(\d+)$/,
      (req, [, owner, repo, id]) => {
        const page = 'webhooks/repos#delete-a-repository-webhook';
        requireHookAccess(req, owner, repo, page, true);
        hooks.delete(findHook(owner, repo, id, page).id);
        return [204, undefined];
      },
    ],
    [
      'POST',
      /^\/app-manifests\/([^/]+)\/conversions$/,
      (_req, [, code]) => {
        const manifest: any = manifestCodes.get(code);
        if (!manifest) throw new HttpError(404, 'Not Found', docs('apps/apps#create-a-github-app-from-a-manifest'));
        manifestCodes.delete(code);
        const id = 900_000 + manifestApps.length + 1;
        const appSlug = String(manifest.name ?? 'app')
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-');
        const created: StandInManifestApp = {
          manifest,
          id,
          slug: appSlug,
          pem: generateAppKeys().privateKeyPem,
          webhook_secret: randomBytes(20).toString('hex'),
          client_id: `Iv23li${randomBytes(7).toString('hex')}`,
          client_secret: randomBytes(20).toString('hex'),
        };
        manifestApps.push(created);
        const { manifest: _m, ...credentials } = created;
        return [
          201,
          {
            ...example('integration-from-manifest'),
            ...credentials,
            node_id: nodeId('Integration', id),
            name: manifest.name,
            description: manifest.description ?? null,
            external_url: manifest.url,
            html_url: `https://github.com/apps/${appSlug}`,
            owner: user('octocat'),
            permissions: manifest.default_permissions ?? {},
            events: manifest.default_events ?? [],
          },
        ];
      },
    ],
    ['GET', /^\/app$/, (req) => (requireJwt(req), [200, appJson()])],
    ['GET', /^\/app\/installations\/(\d+)$/, (req, [, id]) => (requireJwt(req), [200, installationJson(Number(id))])],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/installation$/,
      (req, [, owner, repo]) => {
        requireJwt(req);
        const found = [...installations].find(([, inst]) => covers(inst, owner, repo));
        if (!found) throw new HttpError(404, 'Not Found', docs('apps/apps#get-a-repository-installation-for-the-authenticated-app'));
        return [200, installationJson(found[0])];
      },
    ],
    [
      'POST',
      /^\/app\/installations\/(\d+)\/access_tokens$/,
      (req, [, id]) => {
        requireJwt(req);
        const inst = installationJson(Number(id));
        const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'A').slice(0, 36)}`;
        const expiresAt = Math.floor(Date.now() / 1000) * 1000 + 3600_000;
        tokens.set(token, { installationId: inst.id, expiresAt });
        const repositories = inst.repository_selection === 'selected' ? installations.get(inst.id)!.repositories.map(repoJson) : undefined;
        return [
          201,
          {
            token,
            expires_at: new Date(expiresAt).toISOString().replace('.000Z', 'Z'),
            permissions: inst.permissions,
            repository_selection: inst.repository_selection,
            ...(repositories && { repositories }),
          },
        ];
      },
    ],
    [
      'GET',
      /^\/installation\/repositories$/,
      (req) => {
        const inst = requireInstallationToken(req);
        const query = new URL(req.url ?? '/', 'http://stand-in').searchParams;
        const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30) || 30, 1), 100);
        const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
        const pages = Math.max(Math.ceil(inst.repositories.length / perPage), 1);
        const repositories = inst.repositories.slice((page - 1) * perPage, page * perPage).map(listedRepoJson);
        return [
          200,
          { total_count: inst.repositories.length, repository_selection: inst.repository_selection, repositories },
          linkHeader('/installation/repositories', perPage, page, pages),
        ];
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/,
      (req, [, owner, repo, n]) => {
        const page = 'pulls/pulls#list-pull-requests-files';
        if (!covers(requireInstallationToken(req), owner, repo))
          throw new HttpError(403, 'Resource not accessible by integration', docs(page));
        const files = pulls.get(`${owner}/${repo}#${n}`.toLowerCase());
        if (!files) throw new HttpError(404, 'Not Found', docs(page));
        const query = new URL(req.url ?? '/', 'http://stand-in').searchParams;
        const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30) || 30, 1), 100);
        const pageNo = Math.max(Number(query.get('page') ?? 1) || 1, 1);
        const pages = Math.max(Math.ceil(files.length / perPage), 1);
        const listed = files.slice((pageNo - 1) * perPage, pageNo * perPage).map((f) => {
          const lines = (f.patch ?? '').split('\n');
          const additions = lines.filter((l) => l.startsWith('+')).length;
          const deletions = lines.filter((l) => l.startsWith('-')).length;
          return {
            ...example('diff-entry-items')[0],
            sha: createHash('sha1').update(f.filename).digest('hex'),
            filename: f.filename,
            status: f.status ?? 'modified',
            additions,
            deletions,
            changes: additions + deletions,
            ...(f.patch === undefined ? { patch: undefined } : { patch: f.patch }),
          };
        });
        return [200, listed, linkHeader(`/repos/${owner}/${repo}/pulls/${n}/files`, perPage, pageNo, pages)];
      },
    ],
    [
      'POST',
      /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews$/,
      (req, [, owner, repo, n], body) => {
        const page = 'pulls/reviews#create-a-review-for-a-pull-request';
        if (!covers(requireInstallationToken(req), owner, repo))
          throw new HttpError(403, 'Resource not accessible by integration', docs(page));
        const files = pulls.get(`${owner}/${repo}#${n}`.toLowerCase());
        if (!files) throw new HttpError(404, 'Not Found', docs(page));
        if (body?.event !== undefined && !['APPROVE', 'REQUEST_CHANGES', 'COMMENT'].includes(body.event))
          throw new HttpError(422, 'Unprocessable Entity', docs(page));
        const comments = Array.isArray(body?.comments) ? body.comments : [];
        for (const c of comments) {
          const file = files.find((f) => f.filename === c?.path);
          // GitHub resolves a comment's line against the right side of the file's diff.
          if (!file || typeof c.body !== 'string' || !rightSideLines(file.patch).has(c.line))
            throw new HttpError(422, 'Unprocessable Entity: "Line could not be resolved"', docs(page));
        }
        const id = nextCommentId++;
        reviews.push({
          owner,
          repo,
          pull_number: Number(n),
          id,
          commit_id: body?.commit_id,
          event: body?.event,
          body: body?.body,
          comments,
        });
        return [
          200,
          {
            ...example('pull-request-review'),
            id,
            node_id: nodeId('PullRequestReview', id),
            user: { ...user(`${slug}[bot]`, 'Bot'), html_url: `https://github.com/apps/${slug}` },
            body: body?.body ?? '',
            state:
              body?.event === 'APPROVE'
                ? 'APPROVED'
                : body?.event === 'REQUEST_CHANGES'
                  ? 'CHANGES_REQUESTED'
                  : body?.event
                    ? 'COMMENTED'
                    : 'PENDING',
            html_url: `https://github.com/${owner}/${repo}/pull/${n}#pullrequestreview-${id}`,
            pull_request_url: `${url}/repos/${owner}/${repo}/pulls/${n}`,
            commit_id: body?.commit_id ?? null,
          },
        ];
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/issues$/,
      (req, [, owner, repo]) => {
        const page = 'issues/issues#list-repository-issues';
        const personal = personalToken(req);
        const inst = personal ? undefined : requireInstallationToken(req);
        if (!personal && !covers(inst!, owner, repo)) throw new HttpError(403, 'Resource not accessible by integration', docs(page));
        const query = new URL(req.url ?? '/', 'http://stand-in').searchParams;
        const since = query.get('since');
        if (since !== null && Number.isNaN(Date.parse(since))) throw new HttpError(422, 'Validation Failed', docs(page));
        const state = query.get('state') ?? 'open';
        const perPage = Math.min(Number(query.get('per_page') ?? 30), 100);
        const pageNo = Number(query.get('page') ?? 1);
        // GitHub's order: newest first (sort=created, direction=desc).
        const matching = (issues.get(`${owner}/${repo}`.toLowerCase()) ?? [])
          .filter((i) => state === 'all' || (i.state ?? 'open') === state)
          .filter((i) => since === null || Date.parse(i.updated_at ?? i.created_at) >= Date.parse(since))
          .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
        const slice = matching.slice((pageNo - 1) * perPage, pageNo * perPage);
        const items = slice.map((i) => {
          const json = example('issue');
          Object.assign(json, {
            number: i.number,
            title: i.title,
            body: i.body ?? null,
            state: i.state ?? 'open',
            created_at: i.created_at,
            updated_at: i.updated_at ?? i.created_at,
            html_url: `https://github.com/${owner}/${repo}/issues/${i.number}`,
            url: `${url}/repos/${owner}/${repo}/issues/${i.number}`,
            user: user(i.login ?? 'octocat', 'User'),
          });
          if (i.pull_request) json.pull_request = { url: `${url}/repos/${owner}/${repo}/pulls/${i.number}` };
          else delete json.pull_request;
          return json;
        });
        const next = new URL(req.url ?? '/', url);
        next.searchParams.set('page', String(pageNo + 1));
        const link: Record<string, string> = pageNo * perPage < matching.length ? { link: `<${next.href}>; rel="next"` } : {};
        return [200, items, link];
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      (req, [, owner, repo, n]) => {
        const personal = personalToken(req);
        const inst = personal ? undefined : requireInstallationToken(req);
        if (!personal && !covers(inst!, owner, repo))
          throw new HttpError(403, 'Resource not accessible by integration', docs('issues/comments#list-issue-comments'));
        const query = new URL(req.url ?? '/', 'http://stand-in').searchParams;
        const since = query.get('since') ? Date.parse(query.get('since')!) : 0;
        const listed = comments.filter(
          (c) => c.owner === owner && c.repo === repo && c.issue_number === Number(n) && Date.parse(c.created_at) >= since,
        );
        return [200, listed.map((c) => commentJson(c, personal?.login))];
      },
    ],
    [
      'POST',
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      (req, [, owner, repo, n], body) => {
        const personal = personalToken(req);
        const inst = personal ? undefined : requireInstallationToken(req);
        if (personal ? !(personal.scopes.includes('repo') || administers(personal, owner, repo)) : !covers(inst!, owner, repo))
          throw new HttpError(403, 'Resource not accessible by integration', docs('issues/comments#create-an-issue-comment'));
        if (typeof body?.body !== 'string')
          throw new HttpError(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs('issues/comments#create-an-issue-comment'));
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const comment: RecordedComment = { owner, repo, issue_number: Number(n), body: body.body, id: nextCommentId++, created_at: now };
        comments.push(comment);
        return [201, commentJson(comment, personal?.login)];
      },
    ],
  ];

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': [4, 4, 7, 7, 8].map((n) => randomBytes(4).toString('hex').slice(0, n).toUpperCase()).join(':'),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      ...extra,
    });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw || undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      /* keep raw text */
    }
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    const pathname = path.split('?')[0];
    if (req.method === 'GET' && pathname === '/login/oauth/authorize') {
      // GitHub's authorize page refuses a client it does not know and a missing redirect_uri.
      const query = new URL(path, 'http://stand-in').searchParams;
      const known = options.oauth !== undefined && query.get('client_id') === options.oauth.clientId && Boolean(query.get('redirect_uri'));
      res.writeHead(known ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(known ? '<!doctype html><p>Authorize OpenFlows?</p>' : '<!doctype html><p>Not Found</p>');
    }
    try {
      for (const [method, pattern, handle] of routes) {
        const m = method === req.method ? pattern.exec(pathname) : null;
        if (!m) continue;
        const [status, json, headers] = handle(req, m.map(decodeURIComponent), body);
        const location = (json as any)?.url && status === 201 ? { location: (json as any).url } : undefined;
        return send(res, status, json, { ...location, ...headers });
      }
      throw new HttpError(404, 'Not Found');
    } catch (error) {
      if (!(error instanceof HttpError)) return send(res, 500, { message: String(error), status: '500' });
      send(res, error.status, {
        message: error.message,
        documentation_url: error.documentationUrl,
        status: String(error.status),
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    app,
    hooks,
    manifestApps,
    issuePersonalToken: (login, scopes, adminRepos = []) => {
      const token = `ghp_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'C').slice(0, 36)}`;
      personalTokens.set(token, { login, scopes, adminRepos });
      return token;
    },
    issueManifestCode: (manifest) => {
      const code = randomBytes(10).toString('hex');
      manifestCodes.set(code, manifest);
      return code;
    },
    requests,
    comments,
    pulls,
    issues,
    reviews,
    installations,
    issueOAuthCode: (login) => {
      const code = randomBytes(10).toString('hex');
      oauthCodes.set(code, login);
      return code;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
