import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { CookieOptions, Request, Response } from 'express';
import { ReplaySubject, finalize } from 'rxjs';
import { APP_CONFIG, CodedError, type AppConfig } from '@openflows/common';
import { WebChatService, audioExtension, type ChatState, type VisitorChat } from '@openflows/webchat';
import { DASHBOARD_DIR } from '../dashboard/dashboard-pages';
import { sendEventStream, type SseMessage } from '../runs/sse';
import { IngressService } from '../webhooks/ingress.service';
import { readLimitedBody } from './read-body';

/** The visitor's session cookie of one chat (its path is the chat's, so each chat has its own). */
export const CHAT_COOKIE = 'openflows_chat';
/** The header every visitor POST carries: a cross-site form or simple request cannot set it (CSRF). */
export const CHAT_HEADER = 'x-openflows-chat';
/** A voice message's size at most (bytes): about 10 minutes of Opus. */
export const MAX_AUDIO_BYTES = 10 * 1024 * 1024;

/**
 * The chat page's headers: only its own script and styles run (answers are rendered as escaped text,
 * never as HTML); any page may embed it in an iframe; links followed from answers carry no Referer,
 * which would give the chat's key away.
 */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data: blob:; connect-src 'self'; " +
    "media-src 'self' blob:; frame-ancestors *; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'permissions-policy': 'microphone=(self)',
  'cache-control': 'no-store',
};

/**
 * `/chat/<key>`: a flow's web chat, for visitors (not users: no dashboard session is read or needed,
 * nothing of the API is reachable from here). The page (`chat.html` of the dashboard's build) talks
 * to the routes below with its session cookie; every POST carries {@link CHAT_HEADER}.
 * - `GET /chat/<key>`: the page; `GET /chat/<key>/state`: title, roles, gate, transcript;
 * - `POST /chat/<key>/password` `{ password }`; `POST /chat/<key>/messages` `{ text, id }`;
 * - `POST /chat/<key>/restart` `{ role? }`: a new conversation;
 * - `GET /chat/<key>/events`: the answers, as server-sent events;
 * - `POST /chat/<key>/transcriptions` (audio body): the voice message's text.
 */
@ApiExcludeController()
@Controller('chat')
export class WebChatController {
  constructor(
    private readonly chats: WebChatService,
    private readonly ingress: IngressService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(':key')
  async page(@Param('key') key: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.set(PAGE_HEADERS);
    const file = join(DASHBOARD_DIR, 'chat.html');
    try {
      await this.visitor(key, req, res);
    } catch (error) {
      if (!(error instanceof CodedError)) throw error;
      res
        .status(error.status)
        .type('html')
        .send(`<!doctype html><meta charset="utf-8"><title>Chat</title><p>${escapeHtml(error.message)}.</p>`);
      return;
    }
    if (!existsSync(file)) {
      res.status(503).type('text').send('The chat page is not built: run `npm run build`.');
      return;
    }
    res.sendFile(file);
  }

  @Get(':key/state')
  async state(@Param('key') key: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<ChatState> {
    res.set('cache-control', 'no-store');
    return this.chats.state(await this.visitor(key, req, res));
  }

  @Post(':key/password')
  @HttpCode(204)
  async password(
    @Param('key') key: string,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const visitor = await this.visitor(key, req, res, true);
    await this.chats.unlock(visitor, body?.password, visitor.address);
  }

  @Post(':key/messages')
  @HttpCode(202)
  async message(
    @Param('key') key: string,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ messageId: string }> {
    const visitor = await this.visitor(key, req, res, true);
    return this.chats.send(visitor, { text: body?.text, id: body?.id }, (envelope) => this.accept(envelope));
  }

  @Post(':key/restart')
  @HttpCode(200)
  async restart(
    @Param('key') key: string,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ conversationId: string }> {
    return this.chats.restart(await this.visitor(key, req, res, true), body?.role);
  }

  @Get(':key/events')
  async events(@Param('key') key: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const visitor = await this.visitor(key, req, res);
    // Subscribed before the stream opens: a locked session is answered 401, and nothing published from now on is missed.
    const updates = new ReplaySubject<SseMessage>();
    const stop = await this.chats.listen(
      visitor,
      (json) => updates.next({ event: 'update', data: JSON.parse(json) as unknown }),
      () => updates.complete(),
    );
    updates.next({ event: 'ready', data: { conversationId: visitor.session.conversation } });
    sendEventStream(req, res, updates.pipe(finalize(() => void stop())));
  }

  @Post(':key/transcriptions')
  @HttpCode(200)
  async transcription(
    @Param('key') key: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ text: string }> {
    const visitor = await this.visitor(key, req, res, true);
    const extension = audioExtension(req.headers['content-type']);
    if (!extension) throw new CodedError('WEB_CHAT_AUDIO_INVALID', 'send the voice message as audio/webm, ogg, mp4, mpeg or wav');
    const audio = await readLimitedBody(req, MAX_AUDIO_BYTES);
    if (audio.length === 0) throw new CodedError('WEB_CHAT_AUDIO_INVALID', 'the voice message is empty');
    return this.chats.transcribe(visitor, audio, extension);
  }

  /**
   * The chat and the visitor's session; a new session sets the cookie. `change`: a POST, which must
   * carry {@link CHAT_HEADER}. @throws CodedError CSRF, and WebChatService.open's errors
   */
  private async visitor(key: string, req: Request, res: Response, change = false): Promise<VisitorChat> {
    if (change && req.headers[CHAT_HEADER] !== '1') throw new CodedError('CSRF', `visitor requests carry ${CHAT_HEADER}: 1`);
    const token = (req.cookies as Record<string, string> | undefined)?.[CHAT_COOKIE];
    const visitor = await this.chats.open(key, token, req.ip ?? 'unknown');
    if (visitor.created) res.cookie(CHAT_COOKIE, visitor.session.token, this.cookieOptions(key));
    return visitor;
  }

  /**
   * httpOnly, for this chat's path only, a day long. Behind https: SameSite=None, Secure and
   * Partitioned (CHIPS), so the chat works embedded in another site's iframe with a cookie of that
   * site's partition; over plain http (development) SameSite=Lax.
   */
  private cookieOptions(key: string): CookieOptions {
    const base: CookieOptions = { httpOnly: true, path: `/chat/${key}`, maxAge: 24 * 60 * 60 * 1000 };
    return this.config.publicUrl.startsWith('https:')
      ? { ...base, sameSite: 'none', secure: true, partitioned: true }
      : { ...base, sameSite: 'lax' };
  }

  private async accept(envelope: Parameters<IngressService['accept']>[0]) {
    try {
      return await this.ingress.accept(envelope);
    } catch (error) {
      throw new CodedError('EVENT_NOT_QUEUED', 'the message could not be queued; send it again', { cause: error });
    }
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
