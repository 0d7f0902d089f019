import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { User } from '@openflows/db';
import { RegistrationService } from '@openflows/providers';
import { SlackOAuthError, SlackOAuthService, type SlackCallbackQuery } from '@openflows/slack';
import { CurrentUser } from '../auth/current-user.decorator';
import { connected, connectPage as page } from './connect-page';

/**
 * The browser side of connecting a Slack workspace: `GET /connect/slack` redirects to Slack's install
 * page for the signed-in user (bearer token, one-time `?code=` or session; see AuthGuard), `GET /connect/slack/callback`
 * is the app's redirect URL and connects the workspace for the user its state names. Answers are plain
 * HTML pages, or the dashboard's connections page for a browser signed in to it.
 */
@ApiExcludeController()
@Controller('connect/slack')
export class SlackConnectController {
  constructor(
    private readonly oauth: SlackOAuthService,
    private readonly registration: RegistrationService,
  ) {}

  @Get()
  start(@CurrentUser() user: User, @Res() res: Response): void {
    try {
      res.redirect(302, this.oauth.authorizeUrl(user.id));
    } catch (error) {
      this.fail(res, error);
    }
  }

  @Get('callback')
  async callback(@Query() query: SlackCallbackQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      const { teamName, ownerId } = await this.oauth.complete(query);
      // The owner's flows on that workspace's channels become registered.
      await this.registration.sync(ownerId);
      connected(req, res, 'slack', `Slack workspace ${teamName} connected.`);
    } catch (error) {
      this.fail(res, error);
    }
  }

  private fail(res: Response, error: unknown): void {
    if (!(error instanceof SlackOAuthError)) throw error;
    res.status(error.status).type('html').send(page('Slack was not connected', error.message));
  }
}
