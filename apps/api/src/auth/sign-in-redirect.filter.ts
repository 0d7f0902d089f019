import { ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sendCodedError } from '../errors/coded-error.filter';
import { ConnectCodeInvalidError, SignInRequiredError } from './auth.errors';

/**
 * A browser that follows a link to a page needing sign-in (a connect route, say), or a connect link
 * whose code is dead, goes to `/login` and comes back after; API clients get the JSON 401 the
 * CodedErrorFilter would answer.
 */
@Catch(SignInRequiredError, ConnectCodeInvalidError)
export class SignInRedirectFilter implements ExceptionFilter {
  catch(exception: SignInRequiredError | ConnectCodeInvalidError, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (req.method === 'GET' && !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html') {
      // A dead connect code is not kept in the way back: the session (once signed in) stands for the user then.
      res.redirect(302, loginUrl(exception instanceof ConnectCodeInvalidError ? req.path : req.originalUrl));
      return;
    }
    sendCodedError(res, exception);
  }
}

/** `/login?next=<path>`: where the dashboard sends a browser that must sign in first. */
export const loginUrl = (next: string) => `/login?next=${encodeURIComponent(next)}`;
