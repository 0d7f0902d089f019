import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { SlackOAuthError, SlackOAuthService, type SlackCallbackQuery } from '@openflows/slack';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A minimal HTML page for the browser that went through the install. */
const page = (title: string, message: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;

/**
 * The browser side of connecting a Slack workspace: `GET /connect/slack` redirects to Slack's install
 * page, `GET /connect/slack/callback` is the app's redirect URL. Answers are plain HTML pages.
 */
@ApiExcludeController()
@Controller('connect/slack')
export class SlackConnectController {
  constructor(private readonly oauth: SlackOAuthService) {}

  @Get()
  start(@Res() res: Response): void {
    try {
      res.redirect(302, this.oauth.authorizeUrl());
    } catch (error) {
      this.fail(res, error);
    }
  }

  @Get('callback')
  async callback(@Query() query: SlackCallbackQuery, @Res() res: Response): Promise<void> {
    try {
      const { teamName } = await this.oauth.complete(query);
      res
        .status(200)
        .type('html')
        .send(page('Connected', `Slack workspace ${teamName} connected.`));
    } catch (error) {
      this.fail(res, error);
    }
  }

  private fail(res: Response, error: unknown): void {
    if (!(error instanceof SlackOAuthError)) throw error;
    res.status(error.status).type('html').send(page('Slack was not connected', error.message));
  }
}
