import { Inject, Injectable } from '@nestjs/common';
import { doubleCsrf, type DoubleCsrfUtilities } from 'csrf-csrf';
import type { Request, Response } from 'express';
import { hkdfSync } from 'node:crypto';
import { APP_CONFIG, loadMasterKey, type AppConfig } from '@openflows/common';
import { SESSION_COOKIE, sessionToken } from './session-cookie';

/** The header the dashboard sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * CSRF protection for cookie-authenticated requests, with `csrf-csrf`'s double-submit pattern: the
 * token is an HMAC bound to the session (keyed by a key derived from the master key) and must come
 * back in the `X-CSRF-Token` header next to the `openflows_csrf` cookie. Bearer-token requests carry
 * no ambient credentials and need none.
 */
@Injectable()
export class CsrfService {
  private readonly csrf: DoubleCsrfUtilities;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const secret = Buffer.from(hkdfSync('sha256', loadMasterKey(config), Buffer.alloc(0), 'openflows csrf v1', 32)).toString('base64');
    this.csrf = doubleCsrf({
      getSecret: () => secret,
      getSessionIdentifier: (req) => sessionToken(req) ?? '',
      cookieName: 'openflows_csrf',
      cookieOptions: { sameSite: 'lax', path: '/', secure: config.publicUrl.startsWith('https:'), httpOnly: true },
      getCsrfTokenFromRequest: (req) => req.headers[CSRF_HEADER] as string | undefined,
    });
  }

  /**
   * A token for the session whose token is `sessionToken` (the one just set, or the request's own),
   * setting the companion cookie on `res`.
   */
  issue(req: Request, res: Response, sessionToken: string): string {
    // csrf-csrf reads the session from the request; a session created by this very request is not there yet.
    req.cookies = { ...(req.cookies as Record<string, string>), [SESSION_COOKIE]: sessionToken };
    return this.csrf.generateCsrfToken(req, res, { overwrite: true });
  }

  /** Whether a state-changing request carries a valid token for its session. */
  valid(req: Request): boolean {
    return this.csrf.validateRequest(req);
  }
}
