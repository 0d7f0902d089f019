import { ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sendCodedError } from '../errors/coded-error.filter';
import { SignInRequiredError } from './auth.errors';

/**
 * A browser that follows a link to a page needing sign-in (a connect route, say) goes to `/login` and
 * comes back after; API clients get the JSON 401 the CodedErrorFilter would answer.
 */
@Catch(SignInRequiredError)
export class SignInRedirectFilter implements ExceptionFilter {
  catch(exception: SignInRequiredError, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (req.method === 'GET' && !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html') {
      res.redirect(302, loginUrl(req.originalUrl));
      return;
    }
    sendCodedError(res, exception);
  }
}

/** `/login?next=<path>`: where the dashboard sends a browser that must sign in first. */
export const loginUrl = (next: string) => `/login?next=${encodeURIComponent(next)}`;
