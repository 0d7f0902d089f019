import { InteractionType } from 'discord-interactions';
import { CodedError, type EventEnvelope } from '@openflows/common';
import type { ChatContext } from '@openflows/sdk';

/** A Discord user as interactions and messages carry it (Discord's "User Object", the fields read here). */
export interface DiscordUser {
  id: string;
  username?: string;
  global_name?: string | null;
  bot?: boolean;
}

/**
 * An interaction as Discord posts it to the Interactions Endpoint URL (Discord's "Interaction
 * Object"; the fields read here): `member` in a server, `user` in a DM; `channel` is the partial
 * channel, with `parent_id` for a thread.
 */
export interface DiscordInteraction {
  id: string;
  application_id?: string;
  type: number;
  token: string;
  data?: { name?: string; custom_id?: string; options?: unknown[] };
  guild_id?: string;
  channel_id?: string;
  channel?: { id?: string; type?: number; parent_id?: string | null };
  member?: { user?: DiscordUser; nick?: string | null };
  user?: DiscordUser;
}

/** A message as the Gateway's MESSAGE_CREATE carries it (Discord's "Message Object", the fields read here). */
export interface DiscordMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: DiscordUser;
  content?: string;
  member?: { nick?: string | null };
}

/** What one interaction asks of the ingress. */
export type DiscordRequest =
  | { kind: 'ping' }
  /** Queued; answered with a deferred message, filled in by the run's `sendMessage`. */
  | { kind: 'event'; envelope: EventEnvelope }
  /** APPLICATION_COMMAND_AUTOCOMPLETE: flows declare no autocomplete handlers, so no suggestions. */
  | { kind: 'autocomplete' };

/** Channel types of threads (Discord's "Channel Types": ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD). */
const THREAD_TYPES: ReadonlySet<number> = new Set([10, 11, 12]);

/** The event names of interactions that are not slash commands (Discord's interaction type names, lower-cased). */
export const COMPONENT_EVENT = 'message_component';
export const MODAL_EVENT = 'modal_submit';
/** The event name of a channel message from the Gateway. */
export const MESSAGE_EVENT = 'message';

/** Thrown for a verified body the ingress answers 400 `DELIVERY_MALFORMED`: not an interaction, or fields missing. */
export class MalformedInteractionError extends CodedError {
  constructor(message: string) {
    super('DELIVERY_MALFORMED', message);
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The event name of an interaction that becomes an event; undefined for PING and autocomplete. */
function eventName(interaction: DiscordInteraction): string | undefined {
  switch (interaction.type) {
    case InteractionType.APPLICATION_COMMAND:
      return text(interaction.data?.name);
    case InteractionType.MESSAGE_COMPONENT:
      return COMPONENT_EVENT;
    case InteractionType.MODAL_SUBMIT:
      return MODAL_EVENT;
    default:
      return undefined;
  }
}

/**
 * The chat and thread an interaction happened in: in a thread, the chat is its parent channel and
 * the thread the channel itself, so `discord.chat(app, channel)` also hears its threads.
 */
function placeOf(interaction: DiscordInteraction): { chatId: string; threadId?: string } | undefined {
  const channel = text(interaction.channel_id) ?? text(interaction.channel?.id);
  if (!channel) return undefined;
  const parent = text(interaction.channel?.parent_id ?? undefined);
  const inThread = interaction.channel?.type !== undefined && THREAD_TYPES.has(interaction.channel.type) && parent !== undefined;
  return inThread ? { chatId: parent, threadId: channel } : { chatId: channel };
}

/** The envelope's target and conversation key of an event of application `applicationId` in a chat (and thread). */
function placed(applicationId: string, chatId: string, threadId?: string): Pick<EventEnvelope, 'target' | 'conversationKey'> {
  const target = `${applicationId}/${chatId}`.toLowerCase();
  return { target, conversationKey: threadId ? `${target}/${threadId}` : target };
}

/**
 * Reads a verified interaction (the JSON body Discord posted) of application `applicationId` (the
 * connection the endpoint URL names) and converts a slash command, component or modal submission into
 * the internal envelope: `deliveryId` = the interaction id (a repeated post of it is dropped by the
 * events table's unique key), `name` = the command's name (`ask`), or `message_component` /
 * `modal_submit`, `target` = `<application id>/<channel id>` (the parent channel in a thread) and
 * `conversationKey` = the target, plus `/<thread id>` in a thread. `payload` is the interaction as sent.
 * @throws MalformedInteractionError when the body is no interaction, belongs to another application,
 *   or lacks what routing needs (an id, a token, a command name, a channel).
 */
export function parseInteraction(body: unknown, applicationId: string): DiscordRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new MalformedInteractionError('body must be a JSON object');
  const interaction = body as DiscordInteraction;
  if (interaction.type === InteractionType.PING) return { kind: 'ping' };
  if (interaction.type === InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE) return { kind: 'autocomplete' };
  if (interaction.application_id !== undefined && interaction.application_id !== applicationId) {
    throw new MalformedInteractionError(`the interaction is for application ${String(interaction.application_id)}, not ${applicationId}`);
  }
  const name = eventName(interaction);
  const place = placeOf(interaction);
  if (!text(interaction.id) || !text(interaction.token) || !name || !place) {
    throw new MalformedInteractionError('an interaction needs a known type, an id, a token, a channel and, for a command, its name');
  }
  return {
    kind: 'event',
    envelope: {
      provider: 'discord',
      deliveryId: interaction.id,
      name,
      ...placed(applicationId, place.chatId, place.threadId),
      payload: body,
    },
  };
}

/**
 * A Gateway MESSAGE_CREATE of application `applicationId`'s bot as the internal envelope:
 * `deliveryId` = the message id, `name` = `message`, target and conversation key as for interactions
 * (`parentId`: the parent channel when the message was posted in a thread). `payload` is the message
 * as the Gateway sent it.
 */
export function messageEnvelope(applicationId: string, message: DiscordMessage, parentId?: string): EventEnvelope {
  const place = parentId ? placed(applicationId, parentId, message.channel_id) : placed(applicationId, message.channel_id);
  return { provider: 'discord', deliveryId: message.id, name: MESSAGE_EVENT, ...place, payload: message };
}

/** Whether a stored event's payload is an interaction (it has a continuation token) rather than a Gateway message. */
export function isInteraction(payload: unknown): payload is DiscordInteraction {
  return payload !== null && typeof payload === 'object' && typeof (payload as { token?: unknown }).token === 'string';
}

/**
 * The `discord.context` of an event of the connected application `account` whose envelope target is
 * `<application id>/<chat id>`: the thread is the payload's channel when it is not the chat itself;
 * the sender is the invoking user (interactions) or the author (messages).
 */
export function chatContextOf(account: string, target: string, payload: DiscordInteraction | DiscordMessage): ChatContext {
  const chatId = target.slice(target.indexOf('/') + 1);
  const channel = payload.channel_id ?? (isInteraction(payload) ? payload.channel?.id : undefined);
  const user = isInteraction(payload) ? (payload.member?.user ?? payload.user) : payload.author;
  const nick = payload.member?.nick ?? undefined;
  const name = nick ?? user?.global_name ?? user?.username;
  return {
    account,
    chatId,
    ...(channel && channel !== chatId ? { threadId: channel } : {}),
    messageId: payload.id,
    sender: { id: user?.id ?? '', ...(name ? { name } : {}), ...(user?.bot ? { isBot: true } : {}) },
  };
}

/**
 * Every target a subscription may name an event of application `app` under, lower-case: the
 * application by id or name, and the chat (the envelope target's), the thread, or `*`.
 */
export function targetsOf(
  app: { applicationId: string; name: string },
  target: string,
  payload: DiscordInteraction | DiscordMessage,
): string[] {
  const { chatId, threadId } = chatContextOf(app.name, target, payload);
  const chats = [chatId, ...(threadId ? [threadId] : []), '*'];
  return [...new Set([app.applicationId, app.name].flatMap((account) => chats.map((chat) => `${account}/${chat}`.toLowerCase())))];
}
