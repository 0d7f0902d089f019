import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { CodedError } from '@openflows/common';
import { UsersRepository } from '@openflows/db';
import { ConnectCodeInvalidError } from './auth.errors';
import { AuthService } from './auth.service';
import { ConnectCodesService } from './connect-codes.service';
import { CsrfService } from './csrf.service';
import type { AuthenticatedRequest } from './current-user.decorator';
import { sessionToken } from './session-cookie';

/**
 * The routes that start a connection (and the GitHub App creation), `/connect/<provider>`: the browser
 * comes there from a link, so a one-time `?code=` (POST /api/connect-codes) stands for the user;
 * never a token, which would stay in the browser's history. Their callbacks are not guarded.
 */
const CONNECT_START = /^\/connect\/[a-z0-9-]+(\/app)?\/?$/;
/** Routes that act for a signed-in user besides `/api/*`. */
const SESSION_ROUTES = /^\/auth\/logout\/?$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates `/api/*`, `/auth/logout` and the connect start routes, putting the user on the request
 * (see `@CurrentUser()`): a bearer token, or on the connect routes a one-time connect code, else the
 * dashboard session cookie — whose state-changing requests must carry the CSRF token — else, in
 * single-user mode before the first-run setup, the local user. Webhooks authenticate by signature,
 * OAuth callbacks by their signed `state`; neither is guarded here.
 * @throws SignInRequiredError (401; browsers on the connect routes are sent to /login) without credentials;
 *   ConnectCodeInvalidError (401, browsers too) for an unknown, used or expired connect code;
 *   CodedError `CSRF` for a cookie-authenticated change without a valid token.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly csrf: CsrfService,
    private readonly codes: ConnectCodesService,
    private readonly users: UsersRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const connect = CONNECT_START.test(req.path);
    if (!connect && !req.path.startsWith('/api/') && !SESSION_ROUTES.test(req.path)) return true;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      req.user = await this.auth.authenticate(bearer);
      return true;
    }
    const code = connect && typeof req.query.code === 'string' ? req.query.code : undefined;
    if (code !== undefined) {
      const userId = await this.codes.redeem(code);
      const user = userId ? await this.users.findById(userId) : undefined;
      if (!user) throw new ConnectCodeInvalidError();
      req.user = user;
      return true;
    }
    const session = await this.auth.sessionUser(sessionToken(req));
    if (session) {
      if (!SAFE_METHODS.has(req.method) && !this.csrf.valid(req)) {
        throw new CodedError('CSRF', 'missing or wrong CSRF token: reload the page');
      }
      req.user = session;
      return true;
    }
    req.user = await this.auth.anonymous();
    return true;
  }
}
