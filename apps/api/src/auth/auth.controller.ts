import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { GithubSignInError, GithubSignInService, type GithubSignInQuery } from '@openflows/github';
import { connectPage as page } from '../connect/connect-page';

/**
 * Signing in with GitHub: `GET /auth/github` redirects to GitHub's authorize page, `GET
 * /auth/github/callback` (the App's callback URL) signs the user in and shows their new personal API
 * token once. Answers are plain HTML pages.
 */
@ApiExcludeController()
@Controller('auth/github')
export class AuthController {
  constructor(private readonly signIn: GithubSignInService) {}

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
      const { login, token } = await this.signIn.complete(query);
      res
        .status(200)
        .type('html')
        .setHeader('cache-control', 'no-store')
        .send(
          page(
            'Signed in',
            `Signed in as ${login}. Your API token, shown only this once: ${token} — use it as OPENFLOWS_TOKEN for the CLI or as Authorization: Bearer <token>.`,
          ),
        );
    } catch (error) {
      this.fail(res, error);
    }
  }

  private fail(res: Response, error: unknown): void {
    if (!(error instanceof GithubSignInError)) throw error;
    res.status(error.status).type('html').send(page('Not signed in', error.message));
  }
}
