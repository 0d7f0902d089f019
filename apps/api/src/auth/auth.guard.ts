import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthService } from './auth.service';
import type { AuthenticatedRequest } from './current-user.decorator';

/**
 * The routes that start a connection (and the GitHub App creation): the browser comes there from a
 * link, so a `?token=` is accepted.
 */
const CONNECT_START = /^\/connect\/(github|slack|github\/app)\/?$/;

/**
 * Authenticates `/api/*` (`Authorization: Bearer <token>`) and the connect start routes (the bearer
 * header or `?token=<token>`; open in single-user mode), putting the user on the request (see
 * `@CurrentUser()`). Webhooks
 * authenticate by signature; OAuth callbacks by their signed `state`; neither is guarded here.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const connect = CONNECT_START.test(req.path);
    if (!connect && !req.path.startsWith('/api/')) return true;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!connect) {
      req.user = await this.auth.authenticate(bearer);
      return true;
    }
    req.user = await this.auth.connectingUser(bearer ?? (typeof req.query.token === 'string' ? req.query.token : undefined));
    return true;
  }
}
