/**
 * Slack Events API requests as Slack sends them: the `event_callback` envelope
 * (slack_common_event_wrapper_schema.json) around inner events shaped like the Events API's AsyncAPI
 * examples, and slash command requests (form-encoded), signed as Slack signs them: `X-Slack-Signature: v0=<HMAC-SHA256 of "v0:{ts}:{body}">`
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

/**
 * The form fields Slack posts to a slash command's Request URL when a user of `team` types `command`
 * (with its slash) and `text` in `channel` — the fields of the example in Slack's "Implementing slash
 * commands", with a fresh `trigger_id`; `fields` override or add.
 */
export function slashCommand(team: string, channel: string, command: string, text = '', fields: Record<string, string> = {}) {
  return {
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: team,
    team_domain: 'acme',
    channel_id: channel,
    channel_name: 'general',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command,
    text,
    api_app_id: 'A0OPENFLOWS',
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/${team}/${++sequence}/${randomBytes(12).toString('hex')}`,
    trigger_id: `${Date.now()}.${++sequence}.${randomBytes(16).toString('hex')}`,
    ...fields,
  };
}

/** The headers and raw body Slack sends for `raw` of `contentType`, signed with `secret` at `timestamp` (seconds). */
export function signedSlackBody(raw: string, contentType: string, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;
  return {
    body: raw,
    headers: {
      'content-type': contentType,
      'x-slack-signature': signature,
      'x-slack-request-timestamp': String(timestamp),
    } as Record<string, string>,
  };
}

/** The headers and body Slack sends for the Events API request `body`, signed with `secret` at `timestamp` (seconds). */
export function signedSlackRequest(body: unknown, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
  return signedSlackBody(JSON.stringify(body), 'application/json', secret, timestamp);
}

/** The headers and form body Slack sends for the slash command `fields` (see slashCommand), signed as Slack signs them. */
export function signedSlackCommand(fields: Record<string, string>, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
  return signedSlackBody(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', secret, timestamp);
}
