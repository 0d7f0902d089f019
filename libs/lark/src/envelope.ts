import { CodedError, type EventEnvelope } from '@openflows/common';
import type { ChatContext } from '@openflows/sdk';

/** The one event type that becomes an event: a message sent to the bot or in a chat it is in. */
export const MESSAGE_RECEIVED = 'im.message.receive_v1';

/** `im.message.receive_v1`'s `event`, as far as the platform reads it (types: the Node SDK's event template). */
export interface LarkMessageEvent {
  sender?: {
    sender_id?: { open_id?: unknown; union_id?: unknown; user_id?: unknown };
    /** `user`, or `app` for a bot. */
    sender_type?: unknown;
  };
  message?: {
    message_id?: unknown;
    /** The first message of the thread or reply chain this one belongs to. */
    root_id?: unknown;
    parent_id?: unknown;
    chat_id?: unknown;
    /** Set for messages in a thread (topic). */
    thread_id?: unknown;
    /** `p2p` or `group`. */
    chat_type?: unknown;
    /** `text`, `post`, `image`, … */
    message_type?: unknown;
    /** A JSON string: `{"text":"…"}` for text. */
    content?: unknown;
  };
}

/** A schema 2.0 callback body (Lark's event subscription v2), decrypted. */
export interface LarkEventBody {
  schema: string;
  header: {
    event_id?: unknown;
    event_type?: unknown;
    /** The app's Verification Token; removed from the payload the platform stores. */
    token?: unknown;
    app_id?: unknown;
    tenant_key?: unknown;
    create_time?: unknown;
  };
  event?: LarkMessageEvent;
}

/** What one (decrypted) callback asks of the ingress. Each carries the verification token it came with. */
export type LarkCallback =
  | { kind: 'url_verification'; token: unknown; challenge: string }
  | { kind: 'event'; token: unknown; appId: unknown; type: string; body: LarkEventBody }
  /** Schema 1.0 events (older event types) and other bodies: acknowledged, never routed. */
  | { kind: 'other'; token: unknown };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const malformed = (message: string) => new CodedError('DELIVERY_MALFORMED', message);

/**
 * Reads a decrypted callback body: the `url_verification` request (`{challenge, token, type}`), a
 * schema 2.0 event (`{schema, header: {event_id, event_type, token, app_id, …}, event}`) or anything
 * else (a schema 1.0 event carries its token in `token`).
 * @throws CodedError DELIVERY_MALFORMED for a body that is not an object, a challenge without its value,
 *   or a 2.0 event without `header.event_id` and `header.event_type`.
 */
export function readCallback(body: unknown): LarkCallback {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw malformed('body must be a JSON object');
  const fields = body as Record<string, unknown>;
  if (fields.type === 'url_verification') {
    const challenge = text(fields.challenge);
    if (!challenge) throw malformed('url_verification without a challenge');
    return { kind: 'url_verification', token: fields.token, challenge };
  }
  if (fields.schema === undefined) return { kind: 'other', token: fields.token };
  const header = fields.header as LarkEventBody['header'] | undefined;
  const type = text(header?.event_type);
  if (!header || !type || !text(header.event_id)) throw malformed('a schema 2.0 event needs header.event_id and header.event_type');
  return { kind: 'event', token: header.token, appId: header.app_id, type, body: body as LarkEventBody };
}

/** The thread a message is in: its `thread_id`, else the `root_id` of the reply chain; none at the chat's top level. */
export function threadOf(event: LarkMessageEvent): string | undefined {
  return text(event.message?.thread_id) ?? text(event.message?.root_id);
}

/**
 * The envelope of an `im.message.receive_v1` callback: `deliveryId` = `header.event_id` (Lark's retries
 * of an unanswered callback carry the same one, so the events table's unique key drops them), `name`
 * `message`, `action` = `message.message_type`, `target` = `<app id>/<chat id>` lower-cased, and
 * `conversationKey` = the target, plus `/<thread>` for a message in a thread (see {@link threadOf}). The
 * payload is the decrypted body without `header.token`: the verification token is a credential and
 * reaches neither the events table nor flows.
 * @throws CodedError DELIVERY_MALFORMED without `header.app_id`, `message.message_id` or `message.chat_id`.
 */
export function messageEnvelope(body: LarkEventBody): EventEnvelope {
  const appId = text(body.header.app_id);
  const chatId = text(body.event?.message?.chat_id);
  if (!appId || !chatId || !text(body.event?.message?.message_id)) {
    throw malformed('im.message.receive_v1 needs header.app_id, event.message.message_id and event.message.chat_id');
  }
  const { token: _token, ...header } = body.header;
  const target = `${appId}/${chatId}`.toLowerCase();
  const thread = threadOf(body.event ?? {});
  return {
    provider: 'lark',
    deliveryId: String(body.header.event_id),
    name: 'message',
    action: text(body.event?.message?.message_type),
    target,
    conversationKey: thread ? `${target}/${thread}` : target,
    payload: { ...body, header },
  };
}

/**
 * Whether our own bot sent the message: its sender is the bot's open id, or an app (`sender_type: app`)
 * that names no open id, which cannot be told apart from ours. Other apps' messages are routed, with
 * `sender.isBot` set in the context.
 */
export function isOwnMessage(event: LarkMessageEvent, botOpenId: string | null): boolean {
  const sender = text(event.sender?.sender_id?.open_id);
  if (sender === undefined) return event.sender?.sender_type === 'app';
  return sender === botOpenId;
}

/**
 * The targets a message matches `lark.chat(account, chatId)` subscriptions under: the account by app id
 * and by bot name, the chat by id and as `*`, lower-cased (`cli_a1/oc_b2`, `helper/oc_b2`, `cli_a1/*`,
 * `helper/*`).
 */
export function chatTargets(appId: string, botName: string, chatId: string): string[] {
  const accounts = [appId, botName].filter((account) => account !== '');
  return [...new Set(accounts.flatMap((account) => [`${account}/${chatId}`, `${account}/*`]).map((t) => t.toLowerCase()))];
}

/** `lark.context` for a stored message event of the bot named `botName`. */
export function chatContext(event: LarkMessageEvent, botName: string): ChatContext {
  const message = event.message ?? {};
  return {
    account: botName,
    chatId: text(message.chat_id) ?? '',
    threadId: threadOf(event),
    messageId: text(message.message_id),
    sender: { id: text(event.sender?.sender_id?.open_id) ?? '', isBot: event.sender?.sender_type === 'app' },
  };
}
