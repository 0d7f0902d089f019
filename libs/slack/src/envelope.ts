import { CodedError, type EventEnvelope } from '@openflows/common';

/** Thrown for an Events API request the ingress must answer 400 `DELIVERY_MALFORMED`: not an object, or fields missing. */
export class MalformedSlackRequestError extends CodedError {
  constructor(message: string) {
    super('DELIVERY_MALFORMED', message);
  }
}

/**
 * The inner event of an `event_callback`, as far as routing reads it (Slack's Events API; see the
 * AsyncAPI description of event types). `channel` is a string on message events, an object on some
 * channel events; reactions carry it in `item`.
 */
export interface SlackInnerEvent {
  type?: unknown;
  subtype?: unknown;
  channel?: unknown;
  item?: { channel?: unknown };
  user?: unknown;
  bot_id?: unknown;
  ts?: unknown;
  thread_ts?: unknown;
  tokens?: { bot?: unknown };
  /** `message_changed`: the message after the edit (its author in `user`, a bot's in `bot_id`). */
  message?: { user?: unknown; bot_id?: unknown; subtype?: unknown };
  /** `message_changed`, `message_deleted`: the message before. */
  previous_message?: { user?: unknown; bot_id?: unknown; subtype?: unknown };
}

/** The outer envelope Slack posts to the events URL (`slack_common_event_wrapper_schema`). */
export interface SlackEventCallback {
  type: 'event_callback';
  team_id: string;
  api_app_id?: string;
  event_id: string;
  event_time?: number;
  event: SlackInnerEvent;
}

/** What one Events API request asks of the ingress. */
export type SlackRequest =
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'event'; envelope: EventEnvelope }
  /** Other request types (e.g. `app_rate_limited`): acknowledged, not routed. */
  | { kind: 'other'; type: string };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The channel id an inner event belongs to, when it belongs to one. */
export function channelOf(event: SlackInnerEvent): string | undefined {
  return text(event.channel) ?? text(event.item?.channel);
}

/**
 * The thread a message-like event belongs to: its `thread_ts` when it is in one; for a new top-level
 * message or mention (no subtype, or one of a person writing something new), its own `ts`, the parent
 * of the thread an answer in its thread starts; undefined for other events.
 */
export function threadOf(event: SlackInnerEvent): string | undefined {
  const thread = text(event.thread_ts);
  if (thread) return thread;
  if (event.type !== 'message' && event.type !== 'app_mention') return undefined;
  const subtype = text(event.subtype);
  return subtype === undefined || NEW_USER_MESSAGE_SUBTYPES.has(subtype) ? text(event.ts) : undefined;
}

/**
 * Reads a verified Events API request body and converts an `event_callback` into the internal
 * envelope: `deliveryId` = `event_id` (Slack's retries carry the same one, so the events table's
 * unique key drops them), `name` = `event.type`, `action` = `event.subtype`, `target` =
 * `<team id>/<channel id>` lower-cased, and `conversationKey` = team/channel plus `/<thread>` for
 * messages (see {@link threadOf}): a top-level message and the replies in the thread it starts run in
 * order, so a quick follow-up waits for the answer to its question.
 * @param body the JSON body as Slack sent it.
 * @throws MalformedSlackRequestError when the body or a required field is missing.
 */
export function parseSlackRequest(body: unknown): SlackRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new MalformedSlackRequestError('body must be a JSON object');
  const request = body as Record<string, unknown>;
  const type = text(request.type);
  if (type === 'url_verification') {
    const challenge = text(request.challenge);
    if (!challenge) throw new MalformedSlackRequestError('url_verification without a challenge');
    return { kind: 'url_verification', challenge };
  }
  if (type !== 'event_callback') return { kind: 'other', type: type ?? 'unknown' };
  const callback = body as SlackEventCallback;
  const team = text(callback.team_id);
  const deliveryId = text(callback.event_id);
  const event = callback.event as SlackInnerEvent | undefined;
  const name = text(event?.type);
  if (!team || !deliveryId || !event || !name)
    throw new MalformedSlackRequestError('event_callback needs team_id, event_id and event.type');
  const channel = channelOf(event);
  const target = channel ? `${team}/${channel}`.toLowerCase() : undefined;
  const thread = threadOf(event);
  return {
    kind: 'event',
    envelope: {
      provider: 'slack',
      deliveryId,
      name,
      action: text(event.subtype),
      target,
      conversationKey: target ? (thread ? `${target}/${thread}` : target) : `${team.toLowerCase()}:app:${name}`,
      payload: body,
    },
  };
}

/**
 * A slash command as Slack posts it to the command's Request URL: form fields (Slack's "Implementing
 * slash commands"), of which these are the ones the platform reads. There is no thread: Slack names
 * the channel the command was typed in.
 */
export interface SlackCommand {
  /** As typed, with its slash: `/restart`. */
  command: string;
  /** What follows the command, possibly empty. */
  text: string;
  team_id: string;
  channel_id: string;
  user_id: string;
  user_name?: string;
  /** Unique per invocation: the delivery id. */
  trigger_id: string;
  response_url?: string;
}

/** A command's name as flows list it: `/Restart` → `restart`. */
export const commandName = (command: string) => command.replace(/^\//, '').toLowerCase();

/** The stored payload as a slash command, or undefined for an Events API request. */
export function slackCommandOf(payload: unknown): SlackCommand | undefined {
  const fields = payload as Partial<SlackCommand> | null;
  return typeof fields?.command === 'string' && typeof fields.trigger_id === 'string' ? (fields as SlackCommand) : undefined;
}

/**
 * Reads a verified slash command request body (`application/x-www-form-urlencoded`) into the internal
 * envelope: `deliveryId` = `trigger_id`, `name` = the command without its slash, lower-cased
 * (`restart`), `target` = `<team id>/<channel id>` lower-cased, `conversationKey` = the target (the
 * channel: commands name no thread); `payload` = the form fields as an object.
 * @throws MalformedSlackRequestError when `command`, `team_id`, `channel_id`, `user_id` or `trigger_id` is missing.
 */
export function parseSlackCommand(raw: string): EventEnvelope {
  const fields = Object.fromEntries(new URLSearchParams(raw));
  const command = slackCommandOf(fields);
  const missing = ['command', 'team_id', 'channel_id', 'user_id', 'trigger_id'].filter((name) => !text(fields[name]));
  if (!command || missing.length > 0 || !commandName(command.command)) {
    throw new MalformedSlackRequestError(`a slash command needs ${missing.join(', ') || 'a command name'}`);
  }
  const target = `${command.team_id}/${command.channel_id}`.toLowerCase();
  return {
    provider: 'slack',
    deliveryId: command.trigger_id,
    name: commandName(command.command),
    target,
    conversationKey: target,
    payload: fields,
  };
}

/**
 * Message subtypes that are still a person writing something new (Slack's message subtypes list);
 * every other subtype (edits, deletions, joins, topic changes, bot messages…) is not routed.
 */
const NEW_USER_MESSAGE_SUBTYPES: ReadonlySet<string> = new Set(['file_share', 'thread_broadcast', 'me_message']);

/** Whether a message, or the message an edit or deletion is about, was written by a bot or by our own bot user. */
function fromBot(event: SlackInnerEvent, botUserId: string | null | undefined): boolean {
  return [event, event.message, event.previous_message].some(
    (m) => m !== undefined && (m.bot_id !== undefined || m.subtype === 'bot_message' || (Boolean(botUserId) && m.user === botUserId)),
  );
}

/**
 * The event names a Slack event matches subscriptions under, or undefined when it is dropped for every
 * flow. Always dropped (the loop flows.network users kept hitting): messages from any bot (`bot_id`,
 * `subtype: bot_message`), from the workspace's own bot user, and edits or deletions of such messages.
 * A new user message (no subtype, or `file_share`, `thread_broadcast`, `me_message`) matches `message`
 * (and `message.<subtype>`); any other subtype (`message_changed`, `message_deleted`, `channel_join`, …)
 * only `message.<subtype>`, which flows opt into by listening to that name. Other events match their type.
 */
export function routedNames(event: SlackInnerEvent, botUserId: string | null | undefined): string[] | undefined {
  const type = text(event.type);
  if (!type) return undefined;
  if (type !== 'message' && type !== 'app_mention') return [type];
  if (fromBot(event, botUserId)) return undefined;
  const subtype = text(event.subtype);
  if (subtype === undefined) return [type];
  return NEW_USER_MESSAGE_SUBTYPES.has(subtype) ? [type, `${type}.${subtype}`] : [`${type}.${subtype}`];
}

/**
 * Whether a message-like event reaches flows that did not opt into subtypes (see {@link routedNames}):
 * not from a bot or our own bot user, and a new user message. Events other than `message` and
 * `app_mention` pass.
 */
export function isRoutable(event: SlackInnerEvent, botUserId: string | null | undefined): boolean {
  if (event.type !== 'message' && event.type !== 'app_mention') return true;
  return routedNames(event, botUserId)?.includes(String(event.type)) ?? false;
}
