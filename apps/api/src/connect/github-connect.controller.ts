import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { User } from '@openflows/db';
import { GithubConnectError, GithubConnectService, type GithubSetupQuery } from '@openflows/github';
import { CurrentUser } from '../auth/current-user.decorator';
import { connectPage as page } from './connect-page';

/**
 * The browser side of connecting a GitHub account: `GET /connect/github` redirects to the App's
 * installation page for the signed-in user (bearer token or `?token=`; see AuthGuard), `GET
 * /connect/github/callback` is the App's Setup URL and connects the installation for the user its
 * state names. Answers are plain HTML pages.
 */
@ApiExcludeController()
@Controller('connect/github')
export class GithubConnectController {
  constructor(private readonly connect: GithubConnectService) {}

  @Get()
  async start(@CurrentUser() user: User, @Res() res: Response): Promise<void> {
    try {
      res.redirect(302, await this.connect.installUrl(user.id));
    } catch (error) {
      this.fail(res, error);
    }
  }

  @Get('callback')
  async callback(@Query() query: GithubSetupQuery, @Res() res: Response): Promise<void> {
    try {
      const result = await this.connect.complete(query);
      const message =
        'requested' in result
          ? 'Installation requested: it connects by itself once an owner of the account approves it on GitHub.'
          : `GitHub account ${result.account} connected (${result.repositories} ${result.repositories === 1 ? 'repository' : 'repositories'}).`;
      res.status(200).type('html').send(page('Connected', message));
    } catch (error) {
      this.fail(res, error);
    }
  }

  private fail(res: Response, error: unknown): void {
    if (!(error instanceof GithubConnectError)) throw error;
    res.status(error.status).type('html').send(page('GitHub was not connected', error.message));
  }
}
