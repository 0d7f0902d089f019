import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Octokit } from '@octokit/rest';
import { APP_CONFIG, CodedError, decrypt, encrypt, loadMasterKey, type AppConfig } from '@openflows/common';
import { ConnectionsRepository, RepositoryWebhooksRepository, type Connection } from '@openflows/db';
import type { GithubClient } from '@openflows/sdk/host';

/**
 * OAuth scopes that let a classic token manage repository webhooks (GitHub's "Scopes for OAuth apps":
 * `admin:repo_hook` reads, writes, pings and deletes hooks; `repo` includes repository webhooks).
 * `write:repo_hook` cannot delete, so it is not enough for a hook the platform must remove again.
 */
export const HOOK_SCOPES: readonly string[] = ['admin:repo_hook', 'repo'];

/** Why a token could not be connected: 400, or 409 `TOKEN_TAKEN` (the status is the code's, see ERROR_CODES). */
export class GithubTokenError extends CodedError {
  constructor(code: 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_SCOPE' | 'TOKEN_TAKEN', message: string) {
    super(code, message);
  }
}

/**
 * The scopes of a classic token from GitHub's `X-OAuth-Scopes` response header (comma-separated,
 * e.g. `admin:repo_hook, repo`); undefined when the header is absent, as for fine-grained tokens.
 */
export function parseScopes(header: string | undefined | null): string[] | undefined {
  if (header === undefined || header === null) return undefined;
  return header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Whether scopes from {@link parseScopes} allow creating, changing and deleting repository webhooks.
 * @returns undefined when they do, else the reason in plain words (for the 400 answer).
 */
export function hookScopeProblem(scopes: string[] | undefined): string | undefined {
  if (scopes === undefined) {
    return 'GitHub reported no OAuth scopes for this token (fine-grained tokens have none): use a classic personal access token with the admin:repo_hook scope';
  }
  if (scopes.some((s) => HOOK_SCOPES.includes(s))) return undefined;
  return `the token's scopes (${scopes.join(', ') || 'none'}) do not include admin:repo_hook: create a classic token with admin:repo_hook so the platform can manage repository webhooks`;
}

/**
 * GitHub accounts connected with a personal access token instead of the App, as flows.network does
 * it: the token is checked against `GET /user` (through `GITHUB_API_URL`) and its `X-OAuth-Scopes`,
 * stored as a connection of kind `token` (`externalId` = GitHub user id) with the token sealed with
 * AES-256-GCM under the master key (bound to `github-token:<user id>`), and opened again for the
 * Octokit clients that manage repository webhooks and act for flows on those repositories.
 */
@Injectable()
export class GithubTokensService {
  private readonly logger = new Logger(GithubTokensService.name);
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
    private readonly webhooks: RepositoryWebhooksRepository,
  ) {
    this.key = loadMasterKey(config);
  }

  /**
   * Checks `token` with GitHub and stores it as a token connection of `ownerId` (a reconnect of the
   * same GitHub user by the same owner replaces the token).
   * @throws GithubTokenError TOKEN_MISSING (empty), TOKEN_INVALID (GitHub answered 401/403 to `GET /user`),
   *   TOKEN_SCOPE (no admin:repo_hook), TOKEN_TAKEN (another platform user connected that GitHub account).
   */
  async connect(ownerId: string, token: unknown): Promise<Connection> {
    if (typeof token !== 'string' || token.trim() === '') throw new GithubTokenError('TOKEN_MISSING', 'token is required');
    const trimmed = token.trim();
    let user: { id: number; login: string };
    let scopesHeader: string | undefined;
    try {
      const res = await (await this.octokit(trimmed)).request('GET /user');
      user = { id: Number(res.data.id), login: res.data.login };
      scopesHeader = res.headers['x-oauth-scopes'];
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 401 || status === 403) {
        throw new GithubTokenError('TOKEN_INVALID', `GitHub did not accept the token (GET /user answered ${status})`);
      }
      throw error;
    }
    const scopes = parseScopes(scopesHeader);
    const problem = hookScopeProblem(scopes);
    if (problem) throw new GithubTokenError('TOKEN_SCOPE', problem);
    const known = await this.connections.findToken(String(user.id));
    if (known?.ownerId && known.ownerId !== ownerId) {
      throw new GithubTokenError('TOKEN_TAKEN', `GitHub account ${user.login} is connected by another user`);
    }
    const connection = await this.connections.upsertToken({
      ownerId,
      githubUserId: String(user.id),
      login: user.login,
      scopes: scopes ?? [],
      credentials: this.seal(String(user.id), trimmed),
    });
    this.logger.log(`GitHub account ${user.login} connected with a token`);
    return connection;
  }

  /** An Octokit authenticated with a token connection's token, against `GITHUB_API_URL`. */
  async clientOf(connection: Connection): Promise<Octokit> {
    if (connection.kind !== 'token' || !connection.credentials) throw new Error(`connection ${connection.id} holds no GitHub token`);
    return this.octokit(this.open(connection.externalId, connection.credentials));
  }

  /**
   * The SDK's `github` client for a repository the owner receives through a webhook of one of their
   * active token connections; undefined when none has a hook there.
   */
  async clientFor(ownerId: string, target: string): Promise<GithubClient | undefined> {
    const hook = (await this.webhooks.listByOwner(ownerId)).find((h) => h.repository === target);
    const connection = hook && (await this.connections.findById(hook.connectionId));
    if (!connection || connection.status !== 'active') return undefined;
    const octokit = await this.clientOf(connection);
    return Object.assign(Object.create(octokit.rest) as GithubClient, { request: octokit.request });
  }

  /** Loaded on first use: `@octokit/rest` is an ES module, which the unit tests' CommonJS loader cannot require. */
  private async octokit(token: string): Promise<Octokit> {
    const { Octokit } = await import('@octokit/rest');
    return new Octokit({ auth: token, baseUrl: this.config.github.apiUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
  }

  private seal(githubUserId: string, token: string): string {
    return encrypt(this.key, JSON.stringify({ token }), `github-token:${githubUserId}`);
  }

  private open(githubUserId: string, sealed: string): string {
    return (JSON.parse(decrypt(this.key, sealed, `github-token:${githubUserId}`)) as { token: string }).token;
  }
}
