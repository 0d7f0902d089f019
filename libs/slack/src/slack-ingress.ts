import { Inject, Injectable } from '@nestjs/common';
import { isValidSlackRequest } from '@slack/bolt';
import {
  APP_CONFIG,
  CodedError,
  type AcceptEvent,
  type AppConfig,
  type IngressAnswer,
  type IngressRequest,
  type ProviderIngress,
} from '@openflows/common';
import { parseSlackRequest, type SlackRequest } from './envelope';

/** Slack refuses requests older than five minutes; we refuse those dated as far ahead too (s). */
const MAX_SKEW_SECONDS = 5 * 60;

/**
 * `POST /webhooks/slack/events`: Slack's Events API. Verifies the v0 signature (`X-Slack-Signature`,
 * HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}`, with Bolt's timing-safe verifier) and a
 * timestamp within five minutes either way, answers `url_verification`, and records `event_callback`s.
 * Answers 200 as soon as the event is queued: Slack retries what is not acknowledged within 3 s.
 */
@Injectable()
export class SlackIngress implements ProviderIngress {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const parsed = this.verified(request);
    switch (parsed.kind) {
      case 'url_verification':
        return { status: 200, body: { challenge: parsed.challenge } };
      case 'other':
        return { status: 200, body: { status: 'ignored' } };
      case 'event':
        return { status: 200, body: await accept(parsed.envelope) };
    }
  }

  /**
   * @throws CodedError `NOT_CONFIGURED` (503) without a signing secret, `TIMESTAMP_INVALID` or `SIGNATURE_INVALID`
   *   (401), `BODY_MALFORMED` (400) for a body that is not JSON; MalformedSlackRequestError (400
   *   `DELIVERY_MALFORMED`) for JSON that is no Events API request.
   */
  private verified(request: IngressRequest): SlackRequest {
    const secret = this.config.slack.signingSecret;
    if (!secret) throw new CodedError('NOT_CONFIGURED', 'Slack events are not configured (SLACK_SIGNING_SECRET)');
    const signature = request.headers['x-slack-signature'];
    const timestamp = Number(request.headers['x-slack-request-timestamp']);
    const now = Date.now();
    // Bolt's verifier refuses stale timestamps only; a replay window must also close for future ones.
    if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) {
      throw new CodedError('TIMESTAMP_INVALID', 'X-Slack-Request-Timestamp is missing or more than five minutes off');
    }
    const valid =
      request.method === 'POST' &&
      request.path === 'events' &&
      typeof signature === 'string' &&
      isValidSlackRequest({
        signingSecret: secret,
        body: request.raw.toString('utf8'),
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: now,
      });
    if (!valid) throw new CodedError('SIGNATURE_INVALID', 'X-Slack-Signature is missing or does not match the body');
    let body: unknown;
    try {
      body = JSON.parse(request.raw.toString('utf8'));
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    return parseSlackRequest(body);
  }
}
