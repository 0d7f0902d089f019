import { Controller, HttpCode, Inject, Logger, Post, Req, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isValidSlackRequest } from '@slack/bolt';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { MalformedSlackRequestError, parseSlackRequest, type SlackRequest } from '@openflows/slack';
import { IngressService } from './ingress.service';
import { WebhookError } from './webhook.error';

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
          throw new ServiceUnavailableException('the event could not be queued; Slack will retry it');
        }
    }
  }

  /** @throws WebhookError 503 without a signing secret, 401 for a bad signature or timestamp, 400 for a bad body. */
  private verified(req: Request, raw: Buffer): SlackRequest {
    const secret = this.config.slack.signingSecret;
    if (!secret) throw new WebhookError(503, 'NOT_CONFIGURED', 'Slack events are not configured (SLACK_SIGNING_SECRET)');
    const signature = req.headers['x-slack-signature'];
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    const now = Date.now();
    // Bolt's verifier refuses stale timestamps only; a replay window must also close for future ones.
    if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) {
      throw new WebhookError(401, 'TIMESTAMP_INVALID', 'X-Slack-Request-Timestamp is missing or more than five minutes off');
    }
    const valid =
      typeof signature === 'string' &&
      isValidSlackRequest({
        signingSecret: secret,
        body: raw.toString('utf8'),
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: now,
      });
    if (!valid) throw new WebhookError(401, 'SIGNATURE_INVALID', 'X-Slack-Signature is missing or does not match the body');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new WebhookError(400, 'BODY_MALFORMED', 'body is not valid JSON');
    }
    try {
      return parseSlackRequest(body);
    } catch (error) {
      if (error instanceof MalformedSlackRequestError) throw new WebhookError(400, error.code, error.message);
      throw error;
    }
  }
}
