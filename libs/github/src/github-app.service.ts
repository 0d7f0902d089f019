import { Inject, Injectable } from '@nestjs/common';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/rest';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { ConnectionsRepository } from '@openflows/db';
import { SdkError } from '@openflows/sdk';
import type { GithubClient } from '@openflows/sdk/host';
import type { AppEventSettings } from './event-coverage';
import { GithubTokensService } from './github-tokens.service';

/** The App as GitHub describes it to itself (`GET /app`): its slug, owner, subscribed events and permissions. */
export interface AppSettings extends AppEventSettings {
  slug: string;
  owner: { login: string; type?: string };
}

/** An installation of the App as GitHub describes it (`GET /app/installations/{id}`, `GET /installation/repositories`). */
export interface InstallationDetails {
  id: number;
  account: { login: string; type?: string };
  repositorySelection: 'all' | 'selected';
  permissions: Record<string, string>;
  /** Set when an owner suspended the installation. */
  suspendedAt: string | null;
  /** Every repository the installation can reach, `owner/repo` lower-case. */
  repositories: string[];
}

/**
 * The platform's GitHub App: Octokit clients authenticated as an installation (tokens are cached by
 * `@octokit/auth-app` until shortly before they expire), the App's own identity and its installations.
 * Honours `GITHUB_API_URL`, so GitHub Enterprise and the tests' stand-in work alike.
 */
@Injectable()
export class GithubAppService {
  private readonly app?: App<{ Octokit: typeof Octokit }>;
  private cached?: { at: number; settings: Promise<AppSettings> };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
    private readonly tokens: GithubTokensService,
  ) {
    const { appId, privateKey, apiUrl } = config.github;
    if (appId && privateKey) {
      this.app = new App({ appId, privateKey, Octokit: Octokit.defaults({ baseUrl: apiUrl }) });
    }
  }

  /**
   * The ids of the App's installations a GitHub user may use: `GET /user/installations`, every page,
   * with the user's access token (from the OAuth web flow; not kept).
   * @throws Octokit's RequestError when GitHub refuses the token.
   */
  async userInstallationIds(userToken: string): Promise<number[]> {
    const user = new Octokit({ auth: userToken, baseUrl: this.config.github.apiUrl });
    const installations = await user.paginate('GET /user/installations', { per_page: 100 });
    return installations.map((installation) => installation.id);
  }

  /** Whether `GITHUB_APP_ID` and its key are configured. */
  get configured(): boolean {
    return this.app !== undefined;
  }

  /**
   * An Octokit for a flow of `ownerId` (the flow's owner): authenticated as the owner's installation
   * covering `target` (`owner/repo`), else — for events without a repository — the installation the
   * event carried when that owner connected it; for a repository no installation covers, with the
   * token of the owner's token connection whose webhook delivers there. Another user's connection is never used.
   * @throws SdkError GITHUB_NOT_CONNECTED when none of the owner's connections fits (or the App is not configured and no token does).
   */
  async clientFor(ownerId: string, target: string | undefined, eventInstallationId?: number): Promise<GithubClient> {
    const connection = !this.app
      ? undefined
      : target
        ? await this.connections.findActiveForRepo(target, ownerId)
        : eventInstallationId
          ? await this.connections.findInstallation(String(eventInstallationId))
          : undefined;
    const installationId = connection?.ownerId === ownerId && connection.status === 'active' ? Number(connection.externalId) : undefined;
    if (this.app && installationId) {
      const octokit = await this.app.getInstallationOctokit(installationId);
      return Object.assign(Object.create(octokit.rest) as GithubClient, { request: octokit.request });
    }
    const viaToken = target ? await this.tokens.clientFor(ownerId, target) : undefined;
    if (viaToken) return viaToken;
    if (!this.app) throw new SdkError('GITHUB_NOT_CONNECTED', 'the GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)');
    throw new SdkError('GITHUB_NOT_CONNECTED', `no GitHub App installation covers ${target ?? 'this event'}; install the App on it`);
  }

  /** The App's bot login, `<slug>[bot]`; undefined when not configured. */
  async botLogin(): Promise<string | undefined> {
    const slug = await this.appSlug();
    return slug === undefined ? undefined : `${slug}[bot]`;
  }

  /**
   * The App's slug (its name in `github.com/apps/<slug>`), read from `GET /app` with the App JWT
   * (see {@link settings}; a slug does not change); undefined when not configured.
   */
  async appSlug(): Promise<string | undefined> {
    return (await this.settings())?.slug;
  }

  /**
   * The App's settings from `GET /app` with the App JWT, read again when the last read is older than
   * `maxAgeMs` (default: never; 0 reads now — its events and permissions change in GitHub's settings
   * without telling us); a failed read is tried again next time. Undefined when not configured.
   * @throws Octokit's RequestError when GitHub does not answer.
   */
  async settings(maxAgeMs = Infinity): Promise<AppSettings | undefined> {
    if (!this.app) return undefined;
    const app = this.app;
    if (!this.cached || Date.now() - this.cached.at > maxAgeMs) {
      const settings = app.octokit.request('GET /app').then(({ data }) => ({
        slug: String(data?.slug),
        owner: {
          login: String((data?.owner as { login?: string } | null)?.login ?? ''),
          type: (data?.owner as { type?: string } | null)?.type,
        },
        events: data?.events ?? [],
        permissions: (data?.permissions ?? {}) as Record<string, string>,
      }));
      this.cached = { at: Date.now(), settings };
    }
    const cached = this.cached;
    try {
      return await cached.settings;
    } catch (error) {
      if (this.cached === cached) this.cached = undefined;
      throw error;
    }
  }

  /**
   * One installation of the App: `GET /app/installations/{id}` with the App JWT, then its repositories
   * with an installation token (`GET /installation/repositories`, every page).
   * @returns undefined when GitHub does not know the installation (404).
   * @throws SdkError GITHUB_NOT_CONNECTED when the App is not configured; Octokit's RequestError otherwise.
   */
  async installation(installationId: number): Promise<InstallationDetails | undefined> {
    if (!this.app) throw new SdkError('GITHUB_NOT_CONNECTED', 'the GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)');
    let data;
    try {
      ({ data } = await this.app.octokit.request('GET /app/installations/{installation_id}', { installation_id: installationId }));
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
    const octokit = await this.app.getInstallationOctokit(installationId);
    const repositories = await octokit.paginate('GET /installation/repositories', { per_page: 100 });
    const account = data.account && 'login' in data.account ? { login: data.account.login, type: data.account.type } : undefined;
    return {
      id: data.id,
      // An enterprise installation has no login; its slug names it.
      account: account ?? { login: data.account && 'slug' in data.account ? data.account.slug : 'unknown' },
      repositorySelection: data.repository_selection,
      permissions: data.permissions as Record<string, string>,
      suspendedAt: data.suspended_at ?? null,
      repositories: repositories.map((r) => r.full_name.toLowerCase()).sort(),
    };
  }
}
