import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { User } from '@openflows/db';

/** A request that {@link AuthGuard} authenticated. */
export interface AuthenticatedRequest extends Request {
  user?: User;
}

/**
 * The user the request acts as, put there by {@link AuthGuard}; controllers pass its id on to services.
 * Only on routes the guard authenticates (`/api/*`, `/connect/github`, `/connect/slack`).
 */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): User => {
  const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new Error('CurrentUser used on a route AuthGuard does not authenticate');
  return user;
});
