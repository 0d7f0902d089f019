import { CodedError, type EventEnvelope } from '@openflows/common';
import type { ChatContext } from '@openflows/sdk';

/**
 * The parts of Telegram's Bot API objects the platform reads (Bot API 10.1, types `User`, `Chat`,
 * `Message`, `CallbackQuery`, `Update`); payloads keep every other field as Telegram sent it.
 */
export interface TelegramUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  last_name?: string;
  username?: string;
}

export interface TelegramChat {
  id: number;
  /** `private`, `group`, `supergroup` or `channel`. */
  type?: string;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
}

export interface TelegramMessage {
  message_id: number;
  /** The forum topic (or, in plain supergroups, the reply thread) of the message. */
  message_thread_id?: number;
  /** True when the message is in a forum topic (a forum supergroup, or a private chat with topics). */
  is_topic_message?: boolean;
  /** The sender; for a message sent on behalf of a chat, a placeholder user (see `sender_chat`). */
  from?: TelegramUser;
  /** The chat a message was sent on behalf of (anonymous group admins, a linked channel). */
  sender_chat?: TelegramChat;
  chat: TelegramChat;
  date?: number;
  text?: string;
}

export interface TelegramCallbackQuery {
  id: string;
  /** Who pressed the button. */
  from: TelegramUser;
  /** The bot's message with the button; absent for buttons of inline-mode messages (`inline_message_id`). */
  message?: TelegramMessage;
  inline_message_id?: string;
  data?: string;
}

export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
  edited_message?: TelegramMessage;
  callback_query?: TelegramCallbackQuery;
}

/**
 * The update kinds that become events, in the order an update is read (Telegram sends at most one
 * per update); also the `allowed_updates` the platform registers with `setWebhook`.
 */
export const TELEGRAM_EVENT_NAMES = ['message', 'edited_message', 'callback_query'] as const;

export type TelegramEventName = (typeof TELEGRAM_EVENT_NAMES)[number];

/** What one webhook request asks of the ingress. */
export type TelegramUpdateRequest =
  | { kind: 'event'; envelope: EventEnvelope }
  /** An update kind flows do not get, or a callback of an inline-mode message (no chat): acknowledged, not routed. */
  | { kind: 'ignored'; reason: string };

/** Thrown for a webhook body the ingress answers 400 `DELIVERY_MALFORMED`: not an Update. */
export class MalformedTelegramUpdateError extends CodedError {
  constructor(message: string) {
    super('DELIVERY_MALFORMED', message);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The update's kind among {@link TELEGRAM_EVENT_NAMES}, if it is one of them. */
export function eventNameOf(update: TelegramUpdate): TelegramEventName | undefined {
  return TELEGRAM_EVENT_NAMES.find((name) => update[name] !== undefined);
}

/** The message an update is about: the new or edited message, or the one whose button was pressed. */
export function messageOf(update: TelegramUpdate): TelegramMessage | undefined {
  return update.message ?? update.edited_message ?? update.callback_query?.message;
}

/** The forum topic of a message, as a string; none outside topics (reply threads of plain groups are not topics). */
export function topicOf(message: TelegramMessage): string | undefined {
  return message.is_topic_message === true && message.message_thread_id !== undefined ? String(message.message_thread_id) : undefined;
}

/**
 * Reads a verified webhook body (a JSON-serialized `Update`) of the bot `botId` and converts a
 * `message`, `edited_message` or `callback_query` into the internal envelope: `name` = the update's
 * field, `deliveryId` = `<bot id>:<update_id>` (Telegram repeats an unacknowledged update with the same
 * `update_id`, so the events table's unique key drops the copy), `target` = `<bot id>/<chat id>`, and
 * `conversationKey` = the target, plus `/<message_thread_id>` for a message in a forum topic.
 * @param botId the bot's user id (the connection's `externalId`), a decimal string.
 * @throws MalformedTelegramUpdateError for a body that is no Update (no integer `update_id`, a message without chat id).
 */
export function parseTelegramUpdate(botId: string, body: unknown): TelegramUpdateRequest {
  if (!isObject(body) || !Number.isSafeInteger(body.update_id)) {
    throw new MalformedTelegramUpdateError('body must be a Telegram Update with an integer update_id');
  }
  const update = body as unknown as TelegramUpdate;
  const name = eventNameOf(update);
  if (!name) {
    const kinds = Object.keys(body).filter((key) => key !== 'update_id');
    return { kind: 'ignored', reason: `update kind ${kinds.join(', ') || 'none'} is not delivered to flows` };
  }
  const message = messageOf(update);
  if (name === 'callback_query' && message === undefined) {
    return { kind: 'ignored', reason: 'callback_query of an inline-mode message has no chat' };
  }
  if (!isObject(message) || !isObject(message.chat) || !Number.isSafeInteger(message.chat.id)) {
    throw new MalformedTelegramUpdateError(`${name} needs a message with chat.id`);
  }
  const target = `${botId}/${message.chat.id}`;
  const topic = topicOf(message);
  return {
    kind: 'event',
    envelope: {
      provider: 'telegram',
      deliveryId: `${botId}:${update.update_id}`,
      name,
      target,
      conversationKey: topic ? `${target}/${topic}` : target,
      payload: body,
    },
  };
}

/** Who caused the update: who pressed the button of a callback query, else the message's sender. */
function senderOf(update: TelegramUpdate): TelegramUser | undefined {
  return update.callback_query ? update.callback_query.from : messageOf(update)?.from;
}

/**
 * Why an update must reach no flow, or undefined when it may: it comes from the bot itself (`botId`),
 * or from another bot. A message sent on behalf of a chat (anonymous admins, a linked channel) carries
 * a placeholder bot user in `from` and is still a person's message.
 */
export function droppedSender(update: TelegramUpdate, botId: string): string | undefined {
  const sender = senderOf(update);
  if (!sender) return undefined;
  if (String(sender.id) === botId) return 'a message of the bot itself';
  const onBehalfOfChat = update.callback_query === undefined && messageOf(update)?.sender_chat !== undefined;
  if (sender.is_bot === true && !onBehalfOfChat) return 'a message of another bot';
  return undefined;
}

/** A user's or chat's display name: first and last name, else the title or username. */
function nameOf(party: { first_name?: string; last_name?: string; title?: string; username?: string }): string | undefined {
  const full = [party.first_name, party.last_name].filter(Boolean).join(' ');
  return full || party.title || party.username;
}

/**
 * `telegram.context` of a run of `update`, a message of the bot named `account` (its username):
 * the chat, the forum topic (`threadId`), the message (for `callback_query`: the bot's message with
 * the button) and the sender (a message on behalf of a chat names that chat).
 */
export function chatContextOf(update: TelegramUpdate, account: string): ChatContext {
  const message = messageOf(update);
  const onBehalfOf = update.callback_query ? undefined : message?.sender_chat;
  const user = senderOf(update);
  const sender = onBehalfOf
    ? { id: String(onBehalfOf.id), name: nameOf(onBehalfOf), isBot: false }
    : { id: user ? String(user.id) : '', name: user ? nameOf(user) : undefined, isBot: user?.is_bot === true };
  const topic = message ? topicOf(message) : undefined;
  return {
    account,
    chatId: message ? String(message.chat.id) : '',
    ...(topic ? { threadId: topic } : {}),
    ...(message ? { messageId: String(message.message_id) } : {}),
    sender,
  };
}
