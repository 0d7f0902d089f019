import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, STATE_TTL_MS, StateError, loadMasterKey, signState, stateKey, verifyState, type AppConfig } from '@openflows/common';
import { ConnectionsRepository } from '@openflows/db';
import { GithubAppService } from './github-app.service';
import { SubscriptionRegistrationService } from './subscription-registration.service';

/** `state` purpose of the GitHub App install flow (see signState). */
const STATE_PURPOSE = 'github';

/** Why a GitHub connection could not be completed; `status` is the HTTP answer to the browser. */
export class GithubConnectError extends Error {
  constructor(
    readonly code:
      'NOT_CONFIGURED' | 'STATE_INVALID' | 'STATE_EXPIRED' | 'INSTALLATION_MISSING' | 'INSTALLATION_NOT_FOUND' | 'INSTALLATION_TAKEN',
    readonly status: 400 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The query GitHub sends to the App's Setup URL after an install or a change of its repositories
 * (`setup_action` `install` or `update`), with the `state` given to the installation page. When a
 * member only requested the install from an organization owner, `setup_action` is `request` and there
 * is no `installation_id`.
 */
export interface GithubSetupQuery {
  installation_id?: string;
  setup_action?: string;
  state?: string;
}

/** What the setup callback did: a connection stored, or an install request waiting for an owner. */
export type GithubSetupResult = { account: string; repositories: number } | { requested: true };

/**
 * Connecting a GitHub account through the App: the installation page URL with a signed, expiring
 * `state` (GitHub passes it on to the Setup URL), and the setup callback that reads the installation
 * with the App's credentials and stores it as a connection. `installation` and
 * `installation_repositories` events keep that connection current afterwards.
 */
@Injectable()
export class GithubConnectService {
  private readonly logger = new Logger(GithubConnectService.name);
  private readonly stateKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly app: GithubAppService,
    private readonly connections: ConnectionsRepository,
    private readonly registration: SubscriptionRegistrationService,
  ) {
    this.stateKey = stateKey(loadMasterKey(config));
  }

  /**
   * The App's installation page, `${GITHUB_URL}/apps/<slug>/installations/new?state=…` (state valid
   * 10 minutes, naming `userId`, who will own the connection); the slug comes from `GET /app`.
   * @throws GithubConnectError NOT_CONFIGURED without GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY.
   */
  async installUrl(userId: string, now = Date.now()): Promise<string> {
    const slug = await this.app.appSlug();
    if (slug === undefined) throw notConfigured();
    const url = new URL(`${this.config.github.url}/apps/${encodeURIComponent(slug)}/installations/new`);
    url.searchParams.set('state', signState(this.stateKey, STATE_PURPOSE, now, STATE_TTL_MS, userId));
    return url.toString();
  }

  /**
   * Completes a connection: checks `state`, reads the installation and its repositories from GitHub
   * and stores it (`active`, or `error` with reason `suspended`) as a connection of the user the state
   * names — claiming an installation first recorded from an event; the user's flows waiting for one
   * of its repositories become registered.
   * @throws GithubConnectError for a missing configuration, a forged or expired state, an
   *   installation id GitHub does not know, or an installation another user connected already.
   */
  async complete(query: GithubSetupQuery): Promise<GithubSetupResult> {
    if (!this.app.configured) throw notConfigured();
    let userId: string;
    try {
      userId = verifyState(this.stateKey, STATE_PURPOSE, query.state);
      if (!userId) throw new StateError('STATE_INVALID', 'state names no user');
    } catch (error) {
      if (error instanceof StateError) throw new GithubConnectError(error.code, 400, error.message);
      throw error;
    }
    if (query.setup_action === 'request') return { requested: true };
    const installationId = Number(query.installation_id);
    if (!Number.isSafeInteger(installationId) || installationId <= 0) {
      throw new GithubConnectError('INSTALLATION_MISSING', 400, 'GitHub sent no installation_id');
    }
    const installation = await this.app.installation(installationId);
    if (!installation) {
      throw new GithubConnectError('INSTALLATION_NOT_FOUND', 400, `GitHub knows no installation ${installationId} of this App`);
    }
    const known = await this.connections.findInstallation(String(installation.id));
    if (known?.ownerId && known.ownerId !== userId) {
      throw new GithubConnectError('INSTALLATION_TAKEN', 409, `installation ${installation.id} is connected by another user`);
    }
    await this.connections.upsertInstallation({
      ownerId: userId,
      installationId: String(installation.id),
      accountLogin: installation.account.login,
      accountType: installation.account.type,
      repositorySelection: installation.repositorySelection,
      repositories: installation.repositories,
      permissions: installation.permissions,
      status: installation.suspendedAt ? 'error' : 'active',
      statusReason: installation.suspendedAt ? 'suspended' : null,
    });
    await this.registration.refresh();
    this.logger.log(`GitHub installation ${installation.id} (${installation.account.login}) connected`);
    return { account: installation.account.login, repositories: installation.repositories.length };
  }
}

const notConfigured = () =>
  new GithubConnectError(
    'NOT_CONFIGURED',
    503,
    'The GitHub App is not configured on this platform (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)',
  );
