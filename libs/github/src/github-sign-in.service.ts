import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  StateError,
  errorMessage,
  loadMasterKey,
  signInEnabled,
  signState,
  stateKey,
  verifyState,
  type AppConfig,
} from '@openflows/common';
import { UsersRepository, type User } from '@openflows/db';

/** `state` purpose of the sign-in flow (see signState), so an install state cannot sign anyone in. */
const STATE_PURPOSE = 'signin';

/** Why a sign-in failed; `status` is the HTTP answer to the browser. */
export class GithubSignInError extends Error {
  constructor(
    readonly code: 'NOT_CONFIGURED' | 'STATE_INVALID' | 'STATE_EXPIRED' | 'ACCESS_DENIED' | 'OAUTH_REFUSED',
    readonly status: 400 | 502 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** The query GitHub sends back to the callback: `code` and `state`, or `error` when the user declined. */
export interface GithubSignInQuery {
  code?: string;
  state?: string;
  error?: string;
}

/**
 * Signing users in with GitHub's OAuth web flow (the App's client id and secret): the authorize URL
 * with a signed, expiring `state`; the callback that exchanges the code at
 * `${GITHUB_URL}/login/oauth/access_token`, reads `GET ${GITHUB_API_URL}/user` and records the user.
 * The GitHub token itself is used for that one read and not kept.
 */
@Injectable()
export class GithubSignInService {
  private readonly logger = new Logger(GithubSignInService.name);
  private readonly stateKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
  ) {
    this.stateKey = stateKey(loadMasterKey(config));
  }

  /** Where GitHub sends the browser back: `${PUBLIC_URL}/auth/github/callback` (the App's callback URL). */
  get redirectUri(): string {
    return `${this.config.publicUrl}/auth/github/callback`;
  }

  /**
   * GitHub's authorize page, `${GITHUB_URL}/login/oauth/authorize?client_id&redirect_uri&state`.
   * @throws GithubSignInError NOT_CONFIGURED without GITHUB_CLIENT_ID/GITHUB_CLIENT_SECRET.
   */
  authorizeUrl(now = Date.now()): string {
    const { clientId } = this.credentials();
    const url = new URL(`${this.config.github.url}/login/oauth/authorize`);
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('state', signState(this.stateKey, STATE_PURPOSE, now));
    return url.toString();
  }

  /**
   * Completes a sign-in: checks `state`, exchanges `code` for a user access token, reads the user and
   * creates or updates the platform user, whom the caller then gives a session.
   * @throws GithubSignInError for a forged or expired state, a declined authorization, or a code or
   *   token GitHub refuses.
   */
  async complete(query: GithubSignInQuery): Promise<User> {
    this.credentials();
    try {
      verifyState(this.stateKey, STATE_PURPOSE, query.state);
    } catch (error) {
      if (error instanceof StateError) throw new GithubSignInError(error.code, 400, error.message);
      throw error;
    }
    if (query.error) throw new GithubSignInError('ACCESS_DENIED', 400, `GitHub did not sign you in: ${query.error}`);
    if (!query.code) throw new GithubSignInError('OAUTH_REFUSED', 400, 'GitHub sent no code');
    const accessToken = await this.accessToken(query.code, this.redirectUri);
    const profile = await this.profile(accessToken);
    const user = await this.users.upsert({ provider: 'github', externalId: String(profile.id), login: profile.login });
    this.logger.log(`GitHub user ${profile.login} signed in`);
    return user;
  }

  /**
   * A user access token for a `code` GitHub sent back to `redirectUri` from its authorize page:
   * `POST ${GITHUB_URL}/login/oauth/access_token` (JSON both ways) with the App's client id and
   * secret; GitHub reports a bad code as 200 with `error`.
   * @throws GithubSignInError NOT_CONFIGURED without the OAuth credentials; OAUTH_REFUSED (400) for a
   *   code GitHub refuses, (502) when GitHub cannot be reached.
   */
  async accessToken(code: string, redirectUri: string): Promise<string> {
    const { clientId, clientSecret } = this.credentials();
    const res = await this.call(`${this.config.github.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, code, redirect_uri: redirectUri }),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (!res.ok || !body.access_token) {
      throw new GithubSignInError('OAUTH_REFUSED', 400, `GitHub refused the code: ${body.error_description ?? body.error ?? res.status}`);
    }
    return body.access_token;
  }

  /** GET /user with the user's access token: their numeric id (stable) and login (may change). */
  private async profile(accessToken: string): Promise<{ id: number; login: string }> {
    const res = await this.call(`${this.config.github.apiUrl}/user`, {
      headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${accessToken}`, 'x-github-api-version': '2022-11-28' },
    });
    const body = (await res.json().catch(() => ({}))) as { id?: number; login?: string };
    if (!res.ok || typeof body.id !== 'number' || typeof body.login !== 'string') {
      throw new GithubSignInError('OAUTH_REFUSED', 502, `GitHub did not return the signed-in user (HTTP ${res.status})`);
    }
    return { id: body.id, login: body.login };
  }

  /** fetch, with a network failure reported as a sign-in error rather than an unknown one. */
  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new GithubSignInError('OAUTH_REFUSED', 502, `GitHub could not be reached: ${errorMessage(error)}`);
    }
  }

  private credentials(): { clientId: string; clientSecret: string } {
    const { clientId, clientSecret } = this.config.github;
    if (!signInEnabled(this.config) || !clientId || !clientSecret) {
      throw new GithubSignInError(
        'NOT_CONFIGURED',
        503,
        'Sign-in is not configured on this platform (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET)',
      );
    }
    return { clientId, clientSecret };
  }
}
