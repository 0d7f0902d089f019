import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { GithubSignInError, GithubSignInService, type GithubSignInQuery } from '@openflows/github';
import { connectPage as page } from '../connect/connect-page';
import { AuthService } from './auth.service';
import { SESSION_COOKIE, sessionCookieOptions } from './session-cookie';

/**
 * Signing in with GitHub: `GET /auth/github` redirects to GitHub's authorize page, `GET
 * /auth/github/callback` (the App's callback URL) signs the user in with a dashboard session and sends
 * the browser to the dashboard. API tokens for the CLI are then made on its tokens page.
 */
@ApiExcludeController()
@Controller('auth/github')
export class GithubSignInController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signIn: GithubSignInService,
    private readonly auth: AuthService,
  ) {}

  @Get()
  start(@Res() res: Response): void {
    try {
      res.redirect(302, this.signIn.authorizeUrl());
    } catch (error) {
      this.fail(res, error);
    }
  }

  @Get('callback')
  async callback(@Query() query: GithubSignInQuery, @Res() res: Response): Promise<void> {
    try {
      const user = await this.signIn.complete(query);
      res.cookie(SESSION_COOKIE, await this.auth.startSession(user), sessionCookieOptions(this.config));
      res.redirect(302, '/');
    } catch (error) {
      this.fail(res, error);
    }
  }

  private fail(res: Response, error: unknown): void {
    if (!(error instanceof GithubSignInError)) throw error;
    res.status(error.status).type('html').send(page('Not signed in', error.message));
  }
}
