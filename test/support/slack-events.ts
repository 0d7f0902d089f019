/**
 * Slack Events API requests as Slack sends them: the `event_callback` envelope
 * (slack_common_event_wrapper_schema.json) around inner events shaped like the Events API's AsyncAPI
 * examples, signed as Slack signs them: `X-Slack-Signature: v0=<HMAC-SHA256 of "v0:{ts}:{body}">`
 * with the signing secret, and `X-Slack-Request-Timestamp` in seconds.
 */
import { createHmac, randomBytes } from 'node:crypto';

let sequence = 0;

/** A fresh `event_id` (`Ev…`, unique per event; Slack's retries repeat it). */
export const eventId = () => `Ev${Date.now().toString(36).toUpperCase()}${(++sequence).toString().padStart(4, '0')}`;

/** A fresh message `ts` (`<seconds>.<micro>`), unique within the test run. */
export const messageTs = () => `${Math.floor(Date.now() / 1000)}.${String(++sequence).padStart(6, '0')}`;

/** An `event_callback` for `team` around `event`, with a fresh event_id unless given. */
export function eventCallback(team: string, event: Record<string, unknown>, id = eventId()) {
  return {
    token: 'XXYYZZ',
    team_id: team,
    api_app_id: 'A0OPENFLOWS',
    event,
    type: 'event_callback',
    event_id: id,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: team, user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/** A user's `message.channels` event; `fields` override or add (`thread_ts`, `subtype`, `bot_id`, …). */
export function channelMessage(channel: string, text: string, fields: Record<string, unknown> = {}) {
  const ts = messageTs();
  return {
    type: 'message',
    channel,
    user: 'U0ALICE',
    text,
    ts,
    event_ts: ts,
    channel_type: 'channel',
    client_msg_id: randomBytes(16).toString('hex'),
    ...fields,
  };
}

/** The headers and body Slack sends for `body`, signed with `secret` at `timestamp` (seconds). */
export function signedSlackRequest(body: unknown, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
  const raw = JSON.stringify(body);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;
  return {
    body: raw,
    headers: {
      'content-type': 'application/json',
      'x-slack-signature': signature,
      'x-slack-request-timestamp': String(timestamp),
    } as Record<string, string>,
  };
}
