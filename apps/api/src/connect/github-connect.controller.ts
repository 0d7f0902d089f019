import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { User } from '@openflows/db';
import {
  GithubAppManifestError,
  GithubAppManifestService,
  GithubConnectError,
  GithubConnectService,
  type GithubSetupQuery,
} from '@openflows/github';
import { AuthService } from '../auth/auth.service';
import { CurrentUser } from '../auth/current-user.decorator';
import { connected, manifestPage, connectPage as page } from './connect-page';

/**
 * The browser side of connecting a GitHub account: `GET /connect/github` redirects to the App's
 * installation page for the signed-in user (bearer token, one-time `?code=` or session; see AuthGuard), `GET
 * /connect/github/callback` is the App's Setup URL and connects the installation for the user its
 * state names (with sign-in on, after a round trip through the App's authorize page that proves the
 * user may use it; see GithubConnectService). `GET /connect/github/app` (operators only; `?org=<login>`, `?replace=1`) creates the
 * GitHub App from its manifest, `GET /connect/github/app/callback` stores what GitHub created. Answers
 * are plain HTML pages.
 */
@ApiExcludeController()
@Controller('connect/github')
export class GithubConnectController {
  constructor(
    private readonly connect: GithubConnectService,
    private readonly manifest: GithubAppManifestService,
    private readonly auth: AuthService,
  ) {}

  @Get()
  async start(@CurrentUser() user: User, @Res() res: Response): Promise<void> {
    try {
      res.redirect(302, await this.connect.installUrl(user.id));
    } catch (error) {
      this.fail(res, error);
    }
  }

  @Get('callback')
  async callback(@Query() query: GithubSetupQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      const result = await this.connect.complete(query);
      if ('authorize' in result) return res.redirect(302, result.authorize);
      const message =
        'requested' in result
          ? 'Installation requested: it connects by itself once an owner of the account approves it on GitHub.'
          : `GitHub account ${result.account} connected (${result.repositories} ${result.repositories === 1 ? 'repository' : 'repositories'}).`;
      connected(req, res, 'github', message, 'requested' in result);
    } catch (error) {
      this.fail(res, error);
    }
  }

  @Get('app')
  createApp(@CurrentUser() user: User, @Query() query: { org?: string; replace?: string }, @Res() res: Response): void {
    try {
      const form = this.manifest.form(
        { ...user, admin: this.auth.isAdmin(user) },
        { org: query.org, replace: query.replace === '1' || query.replace === 'true' },
      );
      res.status(200).type('html').send(manifestPage(form.action, form.manifest));
    } catch (error) {
      this.fail(res, error);
    }
  }

  @Get('app/callback')
  async appCreated(@Query() query: { code?: string; state?: string }, @Res() res: Response): Promise<void> {
    try {
      const app = await this.manifest.complete(query);
      const message =
        `GitHub App ${app.slug} (id ${app.id}) created; its credentials were saved to ${app.file}. ` +
        'Restart OpenFlows to use it, then install it with /connect/github. ' +
        'To let users sign in with GitHub, set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET from that file.';
      res.status(200).type('html').send(page('GitHub App created', message));
    } catch (error) {
      this.fail(res, error);
    }
  }

  private fail(res: Response, error: unknown): void {
    if (error instanceof GithubAppManifestError) {
      res.status(error.status).type('html').send(page('The GitHub App was not created', error.message));
      return;
    }
    if (!(error instanceof GithubConnectError)) throw error;
    res.status(error.status).type('html').send(page('GitHub was not connected', error.message));
  }
}
