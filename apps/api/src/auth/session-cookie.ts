import type { CookieOptions, Request } from 'express';
import type { AppConfig } from '@openflows/common';

/** The cookie that carries a dashboard session's token (see SessionsRepository). */
export const SESSION_COOKIE = 'openflows_session';

/**
 * Session cookie attributes: httpOnly (scripts never read it), SameSite=Lax (not sent on cross-site
 * POSTs, still sent when GitHub or Slack redirect the browser back), Secure behind https.
 */
export function sessionCookieOptions(config: AppConfig): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: config.publicUrl.startsWith('https:'), maxAge: config.auth.sessionTtlMs };
}

/** The session token the request's cookie carries (parsed by cookie-parser), or undefined. */
export function sessionToken(req: Request): string | undefined {
  return (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
}
