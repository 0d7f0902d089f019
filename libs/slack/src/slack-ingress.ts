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
import { parseSlackCommand, parseSlackRequest, type SlackRequest } from './envelope';

/** Slack refuses requests older than five minutes; we refuse those dated as far ahead too (s). */
const MAX_SKEW_SECONDS = 5 * 60;

/** The paths Slack posts to: the Events API request URL and the slash commands' Request URL. */
const PATHS = new Set(['events', 'commands']);

/**
 * Slack's two request URLs, both signed with the v0 signature (`X-Slack-Signature`, HMAC-SHA256 of
 * `v0:{X-Slack-Request-Timestamp}:{raw body}`, checked with Bolt's timing-safe verifier) and a
 * timestamp within five minutes either way:
 * - `POST /webhooks/slack/events`, the Events API: answers `url_verification`, records `event_callback`s;
 * - `POST /webhooks/slack/commands`, the slash commands' Request URL (form-encoded): records the
 *   command as an event (see parseSlackCommand) and answers an empty 200, which Slack shows as
 *   nothing; the flow answers in the channel.
 * Answers as soon as the event is queued: Slack retries events, and fails commands, not acknowledged within 3 s.
 */
@Injectable()
export class SlackIngress implements ProviderIngress {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const body = this.verified(request);
    if (request.path === 'commands') {
      await accept(parseSlackCommand(body));
      return { status: 200 };
    }
    const parsed = this.parsed(body);
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
   * The body, once its signature and timestamp are checked.
   * @throws CodedError `NOT_CONFIGURED` (503) without a signing secret, `TIMESTAMP_INVALID` or
   *   `SIGNATURE_INVALID` (401; also for another method or path).
   */
  private verified(request: IngressRequest): string {
    const secret = this.config.slack.signingSecret;
    if (!secret) throw new CodedError('NOT_CONFIGURED', 'Slack events are not configured (SLACK_SIGNING_SECRET)');
    const signature = request.headers['x-slack-signature'];
    const timestamp = Number(request.headers['x-slack-request-timestamp']);
    const now = Date.now();
    // Bolt's verifier refuses stale timestamps only; a replay window must also close for future ones.
    if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) {
      throw new CodedError('TIMESTAMP_INVALID', 'X-Slack-Request-Timestamp is missing or more than five minutes off');
    }
    const body = request.raw.toString('utf8');
    const valid =
      request.method === 'POST' &&
      PATHS.has(request.path) &&
      typeof signature === 'string' &&
      isValidSlackRequest({
        signingSecret: secret,
        body,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: now,
      });
    if (!valid) throw new CodedError('SIGNATURE_INVALID', 'X-Slack-Signature is missing or does not match the body');
    return body;
  }

  /**
   * @throws CodedError `BODY_MALFORMED` (400) for a body that is not JSON; MalformedSlackRequestError
   *   (400 `DELIVERY_MALFORMED`) for JSON that is no Events API request.
   */
  private parsed(body: string): SlackRequest {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    return parseSlackRequest(json);
  }
}
