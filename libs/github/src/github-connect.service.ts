import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  STATE_TTL_MS,
  StateError,
  errorMessage,
  loadMasterKey,
  signInEnabled,
  signState,
  stateKey,
  verifyState,
  type AppConfig,
} from '@openflows/common';
import { ConnectionsRepository } from '@openflows/db';
import { GithubAppService } from './github-app.service';
import { GithubSignInService } from './github-sign-in.service';
import { SubscriptionRegistrationService } from './subscription-registration.service';

/** `state` purpose of the GitHub App install flow (see signState). */
const STATE_PURPOSE = 'github';
/** `state` purpose of the authorization that proves a user may claim an installation; its subject is `<user id>-<installation id>`. */
const CLAIM_PURPOSE = 'github-claim';

/** Why a GitHub connection could not be completed; `status` is the HTTP answer to the browser. */
export class GithubConnectError extends Error {
  constructor(
    readonly code:
      | 'NOT_CONFIGURED'
      | 'STATE_INVALID'
      | 'STATE_EXPIRED'
      | 'INSTALLATION_MISSING'
      | 'INSTALLATION_NOT_FOUND'
      | 'INSTALLATION_TAKEN'
      | 'INSTALLATION_NOT_YOURS'
      | 'ACCESS_DENIED'
      | 'OAUTH_REFUSED',
    readonly status: 400 | 403 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The query of `/connect/github/callback`: GitHub calls it as the App's Setup URL after an install or
 * a change of its repositories (`installation_id`, `setup_action` `install` or `update`, the `state`
 * given to the installation page; `request` without `installation_id` when a member only requested
 * the install from an organization owner), and as the callback URL of the authorization that proves
 * who may claim an installation (`code` and the claim `state`, or `error` when the user declined).
 */
export interface GithubSetupQuery {
  installation_id?: string;
  setup_action?: string;
  state?: string;
  code?: string;
  error?: string;
}

/**
 * What the setup callback did: a connection stored, an install request waiting for an owner, or the
 * authorize page to send the browser to first (to check the user may use the installation).
 */
export type GithubSetupResult = { account: string; repositories: number } | { requested: true } | { authorize: string };

/**
 * Connecting a GitHub account through the App: the installation page URL with a signed, expiring
 * `state` (GitHub passes it on to the Setup URL), and the setup callback that reads the installation
 * with the App's credentials and stores it as a connection. With sign-in on, an installation not yet
 * the user's becomes theirs only once GitHub confirms the user may use it: the browser goes through
 * the App's authorize page (`/login/oauth/authorize`, back to the same callback with a `code`), the
 * code is exchanged for the user's token (GithubSignInService, honouring `GITHUB_URL`) and
 * `GET /user/installations` must list the installation —
 * so a forged `installation_id` claims nothing. `installation` and `installation_repositories`
 * events keep that connection current afterwards.
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
    private readonly signIn: GithubSignInService,
  ) {
    this.stateKey = stateKey(loadMasterKey(config));
  }

  /** The Setup URL, also the callback URL of the claim's authorization: `${PUBLIC_URL}/connect/github/callback`. */
  get callbackUrl(): string {
    return `${this.config.publicUrl}/connect/github/callback`;
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
   * of its repositories become registered. With sign-in on and an installation not yet the user's,
   * answers `{ authorize }` first unless the query carries a `code`, then checks the code's user may
   * use the installation (see the class).
   * @throws GithubConnectError for a missing configuration, a forged or expired state, an
   *   installation id GitHub does not know, an installation another user connected already or the
   *   user may not use (INSTALLATION_NOT_YOURS, 403), a declined or refused authorization.
   */
  async complete(query: GithubSetupQuery): Promise<GithubSetupResult> {
    if (!this.app.configured) throw notConfigured();
    const { userId, installationId: claimed } = this.verified(query.state);
    if (query.error) throw new GithubConnectError('ACCESS_DENIED', 400, `GitHub did not authorize the App: ${query.error}`);
    if (claimed === undefined && query.setup_action === 'request') return { requested: true };
    const installationId = claimed ?? Number(query.installation_id);
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
    if (signInEnabled(this.config) && known?.ownerId !== userId) {
      if (!query.code) return { authorize: this.authorizeUrl(userId, installation.id) };
      await this.checkAccess(query.code, installation.id);
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

  /** The user a state names and, for a claim's state, the installation being claimed. @throws GithubConnectError */
  private verified(state: string | undefined): { userId: string; installationId?: number } {
    try {
      if (state?.startsWith(`${CLAIM_PURPOSE}.`)) {
        const [, userId, installationId] = /^(.+)-(\d+)$/.exec(verifyState(this.stateKey, CLAIM_PURPOSE, state)) ?? [];
        if (!userId) throw new StateError('STATE_INVALID', 'state names no installation');
        return { userId, installationId: Number(installationId) };
      }
      const userId = verifyState(this.stateKey, STATE_PURPOSE, state);
      if (!userId) throw new StateError('STATE_INVALID', 'state names no user');
      return { userId };
    } catch (error) {
      if (error instanceof StateError) throw new GithubConnectError(error.code, 400, error.message);
      throw error;
    }
  }

  /** The App's authorize page, coming back to {@link callbackUrl} with a code and a claim state naming the user and installation. */
  private authorizeUrl(userId: string, installationId: number): string {
    const url = new URL(`${this.config.github.url}/login/oauth/authorize`);
    url.searchParams.set('client_id', this.config.github.clientId ?? '');
    url.searchParams.set('redirect_uri', this.callbackUrl);
    url.searchParams.set('state', signState(this.stateKey, CLAIM_PURPOSE, Date.now(), STATE_TTL_MS, `${userId}-${installationId}`));
    return url.toString();
  }

  /** @throws GithubConnectError OAUTH_REFUSED for a code GitHub refuses, INSTALLATION_NOT_YOURS when the code's user may not use the installation. */
  private async checkAccess(code: string, installationId: number): Promise<void> {
    let theirs: number[];
    try {
      theirs = await this.app.userInstallationIds(await this.signIn.accessToken(code, this.callbackUrl));
    } catch (error) {
      throw new GithubConnectError('OAUTH_REFUSED', 400, `GitHub refused the authorization: ${errorMessage(error)}`);
    }
    if (!theirs.includes(installationId)) {
      throw new GithubConnectError(
        'INSTALLATION_NOT_YOURS',
        403,
        `your GitHub account cannot use installation ${installationId}: ask an owner of its account to connect it`,
      );
    }
  }
}

const notConfigured = () =>
  new GithubConnectError(
    'NOT_CONFIGURED',
    503,
    'The GitHub App is not configured on this platform (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)',
  );
