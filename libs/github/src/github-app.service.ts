import { Inject, Injectable } from '@nestjs/common';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/rest';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { ConnectionsRepository } from '@openflows/db';
import { SdkError } from '@openflows/sdk';
import type { GithubClient } from '@openflows/sdk/host';

/**
 * The platform's GitHub App: Octokit clients authenticated as an installation (tokens are cached by
 * `@octokit/auth-app` until shortly before they expire) and the App's own identity.
 * Honours `GITHUB_API_URL`, so GitHub Enterprise and the tests' stand-in work alike.
 */
@Injectable()
export class GithubAppService {
  private readonly app?: App<{ Octokit: typeof Octokit }>;
  private botLoginPromise?: Promise<string>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly connections: ConnectionsRepository,
  ) {
    const { appId, privateKey, apiUrl } = config.github;
    if (appId && privateKey) {
      this.app = new App({ appId, privateKey, Octokit: Octokit.defaults({ baseUrl: apiUrl }) });
    }
  }

  /** Whether `GITHUB_APP_ID` and its key are configured. */
  get configured(): boolean {
    return this.app !== undefined;
  }

  /**
   * An Octokit authenticated as the installation covering `target` (`owner/repo`): the connection on
   * record, else the installation id the event carried.
   * @throws SdkError GITHUB_NOT_CONNECTED when the App is not configured or nothing covers the repo.
   */
  async clientFor(target: string | undefined, eventInstallationId?: number): Promise<GithubClient> {
    if (!this.app) throw new SdkError('GITHUB_NOT_CONNECTED', 'the GitHub App is not configured (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)');
    const connection = target ? await this.connections.findActiveForRepo(target) : undefined;
    const installationId = connection ? Number(connection.externalId) : eventInstallationId;
    if (!installationId) {
      throw new SdkError('GITHUB_NOT_CONNECTED', `no GitHub App installation covers ${target ?? 'this event'}; install the App on it`);
    }
    const octokit = await this.app.getInstallationOctokit(installationId);
    return Object.assign(Object.create(octokit.rest) as GithubClient, { request: octokit.request });
  }

  /** The App's bot login, `<slug>[bot]`, read once from `GET /app`; undefined when not configured. */
  async botLogin(): Promise<string | undefined> {
    if (!this.app) return undefined;
    const app = this.app;
    this.botLoginPromise ??= app.octokit.request('GET /app').then(({ data }) => `${data?.slug}[bot]`);
    try {
      return await this.botLoginPromise;
    } catch (error) {
      this.botLoginPromise = undefined;
      throw error;
    }
  }
}
