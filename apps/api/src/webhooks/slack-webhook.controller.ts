import { Controller, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isValidSlackRequest } from '@slack/bolt';
import type { Request } from 'express';
import { APP_CONFIG, CodedError, type AppConfig } from '@openflows/common';
import { parseSlackRequest, type SlackRequest } from '@openflows/slack';
import { IngressService } from './ingress.service';

/** Slack refuses requests older than five minutes; we refuse those dated as far ahead too (s). */
const MAX_SKEW_SECONDS = 5 * 60;

/** What the events URL answers: the challenge, or what became of the event. */
type SlackAnswer = { challenge: string } | { status: string; eventId?: string };

/**
 * `POST /webhooks/slack/events`: Slack's Events API. Verifies the v0 signature (`X-Slack-Signature`,
 * HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}`, with Bolt's timing-safe verifier) and a
 * timestamp within five minutes either way, answers `url_verification`, and records `event_callback`s.
 * Answers 200 as soon as the event is queued: Slack retries what is not acknowledged within 3 s.
 */
@ApiExcludeController()
@Controller('webhooks/slack')
export class SlackWebhookController {
  private readonly logger = new Logger(SlackWebhookController.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ingress: IngressService,
  ) {}

  @Post('events')
  @HttpCode(200)
  async receive(@Req() req: Request): Promise<SlackAnswer> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const request = this.verified(req, raw);
    switch (request.kind) {
      case 'url_verification':
        return { challenge: request.challenge };
      case 'other':
        return { status: 'ignored' };
      case 'event':
        try {
          return await this.ingress.accept(request.envelope);
        } catch (error) {
          this.logger.error({ err: error, deliveryId: request.envelope.deliveryId }, 'could not queue Slack event');
          throw new CodedError('EVENT_NOT_QUEUED', 'the event could not be queued; Slack will retry it', { cause: error });
        }
    }
  }

  /**
   * @throws CodedError `NOT_CONFIGURED` (503) without a signing secret, `TIMESTAMP_INVALID` or `SIGNATURE_INVALID`
   *   (401), `BODY_MALFORMED` (400) for a body that is not JSON; MalformedSlackRequestError (400
   *   `DELIVERY_MALFORMED`) for JSON that is no Events API request.
   */
  private verified(req: Request, raw: Buffer): SlackRequest {
    const secret = this.config.slack.signingSecret;
    if (!secret) throw new CodedError('NOT_CONFIGURED', 'Slack events are not configured (SLACK_SIGNING_SECRET)');
    const signature = req.headers['x-slack-signature'];
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    const now = Date.now();
    // Bolt's verifier refuses stale timestamps only; a replay window must also close for future ones.
    if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) {
      throw new CodedError('TIMESTAMP_INVALID', 'X-Slack-Request-Timestamp is missing or more than five minutes off');
    }
    const valid =
      typeof signature === 'string' &&
      isValidSlackRequest({
        signingSecret: secret,
        body: raw.toString('utf8'),
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: now,
      });
    if (!valid) throw new CodedError('SIGNATURE_INVALID', 'X-Slack-Signature is missing or does not match the body');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    return parseSlackRequest(body);
  }
}
