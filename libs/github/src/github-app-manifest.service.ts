import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  STATE_TTL_MS,
  StateError,
  githubAppFile,
  loadMasterKey,
  signState,
  stateKey,
  verifyState,
  type AppConfig,
  type StoredGithubApp,
} from '@openflows/common';

/** `state` purpose of the App-from-manifest flow (see signState). */
const STATE_PURPOSE = 'github-app';

/**
 * The GitHub App manifest of `docs/github-app-manifest.json` (GitHub's "Registering a GitHub App from
 * a manifest" parameters), with this install's `PUBLIC_URL` in its URLs: the webhook URL
 * (`/webhooks/github`), the Setup URL (`/connect/github/callback`), the callback URLs of sign-in
 * (`/auth/github/callback`) and of claiming an installation (`/connect/github/callback`), and the
 * redirect back after creation (`/connect/github/app/callback`).
 */
export function githubAppManifest(publicUrl: string, name = 'OpenFlows'): Record<string, unknown> {
  return {
    name,
    url: publicUrl,
    description: 'Flow functions answering issues and comments and reviewing pull requests on your repositories',
    hook_attributes: { url: `${publicUrl}/webhooks/github`, active: true },
    redirect_url: `${publicUrl}/connect/github/app/callback`,
    // Sign-in, and the authorization that proves who may claim an installation (GithubConnectService).
    callback_urls: [`${publicUrl}/auth/github/callback`, `${publicUrl}/connect/github/callback`],
    setup_url: `${publicUrl}/connect/github/callback`,
    setup_on_update: true,
    request_oauth_on_install: false,
    public: false,
    default_permissions: { issues: 'write', pull_requests: 'write', metadata: 'read' },
    default_events: ['issues', 'issue_comment', 'pull_request'],
  };
}

/** Why the App could not be created; `status` is the HTTP answer to the browser. */
export class GithubAppManifestError extends Error {
  constructor(
    readonly code: 'NOT_ADMIN' | 'ALREADY_CONFIGURED' | 'STATE_INVALID' | 'STATE_EXPIRED' | 'CODE_MISSING' | 'CONVERSION_FAILED',
    readonly status: 400 | 403 | 409 | 502,
    message: string,
  ) {
    super(message);
  }
}

/** Who asks: the fields of the signed-in user the operator check reads. */
export interface ManifestRequester {
  id: string;
  admin: boolean;
  provider: string;
  externalId: string;
}

/** The form the browser posts to GitHub: where to, and the manifest JSON for its `manifest` field. */
export interface ManifestForm {
  action: string;
  manifest: string;
}

/**
 * One-click GitHub App creation (GitHub's manifest flow): a form that posts the manifest to
 * `${GITHUB_URL}/settings/apps/new?state=…` (or `/organizations/<org>/settings/apps/new`), and the
 * redirect back with a one-time `code`, exchanged at `POST ${GITHUB_API_URL}/app-manifests/{code}/conversions`
 * for the new App's id, slug, private key (pem), webhook secret, client id and secret. Those are
 * written to `${DATA_DIR}/github-app.json` (mode 0600), which `loadConfig` reads at the next start for
 * the GitHub App settings the environment leaves unset. An operator action: only the built-in local
 * user or an admin may start it.
 */
@Injectable()
export class GithubAppManifestService {
  private readonly logger = new Logger(GithubAppManifestService.name);
  private readonly stateKey: Buffer;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.stateKey = stateKey(loadMasterKey(config));
  }

  /**
   * The form for `user` (state valid 10 minutes, naming the user).
   * @param org create the App under this organization rather than the user's account.
   * @param replace create one even though an App is configured already.
   * @throws GithubAppManifestError NOT_ADMIN (403) for anyone but the local user or an admin;
   *   ALREADY_CONFIGURED (409) when an App is configured and `replace` is not set.
   */
  form(user: ManifestRequester, options: { org?: string; replace?: boolean } = {}, now = Date.now()): ManifestForm {
    const operator = user.admin || (user.provider === 'local' && user.externalId === 'local');
    if (!operator) throw new GithubAppManifestError('NOT_ADMIN', 403, 'Only an administrator of this platform can create its GitHub App');
    if (this.config.github.appId && !options.replace) {
      throw new GithubAppManifestError(
        'ALREADY_CONFIGURED',
        409,
        `A GitHub App (id ${this.config.github.appId}) is configured already; open /connect/github/app?replace=1 to create another one`,
      );
    }
    const org = options.org && /^[A-Za-z0-9-]+$/.test(options.org) ? options.org : undefined;
    const path = org ? `/organizations/${org}/settings/apps/new` : '/settings/apps/new';
    const action = new URL(`${this.config.github.url}${path}`);
    action.searchParams.set('state', signState(this.stateKey, STATE_PURPOSE, now, STATE_TTL_MS, user.id));
    return { action: action.toString(), manifest: JSON.stringify(githubAppManifest(this.config.publicUrl)) };
  }

  /**
   * Completes the creation: checks `state`, converts `code` with GitHub and writes the App's
   * credentials to `${DATA_DIR}/github-app.json` (mode 0600, replaced atomically).
   * @returns the new App's id, slug, page and the file written.
   * @throws GithubAppManifestError for a forged or expired state, a missing code, or a refused conversion.
   */
  async complete(query: { code?: string; state?: string }): Promise<{ id: number; slug: string; htmlUrl?: string; file: string }> {
    try {
      if (!verifyState(this.stateKey, STATE_PURPOSE, query.state)) throw new StateError('STATE_INVALID', 'state names no user');
    } catch (error) {
      if (error instanceof StateError) throw new GithubAppManifestError(error.code, 400, error.message);
      throw error;
    }
    if (!query.code || !/^[A-Za-z0-9_-]+$/.test(query.code)) throw new GithubAppManifestError('CODE_MISSING', 400, 'GitHub sent no code');
    const res = await fetch(`${this.config.github.apiUrl}/app-manifests/${query.code}/conversions`, {
      method: 'POST',
      headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
    });
    if (res.status !== 201) {
      throw new GithubAppManifestError('CONVERSION_FAILED', 502, `GitHub refused the manifest code (${res.status}); create the App again`);
    }
    const data = (await res.json()) as StoredGithubApp & { html_url?: string };
    const stored: StoredGithubApp = {
      id: data.id,
      slug: data.slug,
      pem: data.pem,
      webhook_secret: data.webhook_secret,
      client_id: data.client_id,
      client_secret: data.client_secret,
    };
    const file = githubAppFile(this.config.dataDir);
    if (!existsSync(this.config.dataDir)) mkdirSync(this.config.dataDir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
    this.logger.log(`GitHub App ${stored.slug} (id ${stored.id}) created; its credentials are in ${file}`);
    return { id: stored.id, slug: stored.slug, htmlUrl: data.html_url, file };
  }
}
