import type { EventRouting, RoutedEvent, StoredConnection } from '@openflows/common';
import { droppedSender, type TelegramUpdate } from './envelope';

/** The bot id and chat id of a Telegram event's target (`<bot id>/<chat id>`, see parseTelegramUpdate). */
export function targetParts(target: string | null | undefined): { botId: string; chatId: string } | undefined {
  const [botId, chatId] = (target ?? '').split('/');
  return botId && chatId ? { botId, chatId } : undefined;
}

/**
 * Every target a subscription made with `telegram.chat(account, chatId)` may name the event's chat
 * under: the bot by id or username (lower-case), the chat by id or `*` (every chat of the bot).
 */
export function chatTargets(connection: Pick<StoredConnection, 'externalId' | 'accountLogin'>, chatId: string): string[] {
  const accounts = [...new Set([connection.externalId, connection.accountLogin].map((a) => a.toLowerCase()))];
  return accounts.flatMap((account) => [`${account}/${chatId}`, `${account}/*`]);
}

/**
 * Whose flows a Telegram event reaches: the owner of the active bot connection it came through, under
 * {@link chatTargets} and the update's kind as event name (`message`, `edited_message`,
 * `callback_query`). Dropped when the bot is not connected (or not active), or when the update comes
 * from the bot itself or another bot (see droppedSender), so a bot never answers itself.
 * @param connection the bot's connection (found by the bot id of `event.target`), if any.
 */
export function routeTelegramEvent(event: RoutedEvent, connection: StoredConnection | undefined): EventRouting {
  const parts = targetParts(event.target);
  if (!parts) return { dropped: 'not a chat event' };
  if (!connection || connection.status !== 'active' || !connection.ownerId) {
    return { dropped: `Telegram bot ${parts.botId} is not connected` };
  }
  const dropped = droppedSender(event.payload as TelegramUpdate, connection.externalId);
  if (dropped) return { dropped };
  return { owners: [connection.ownerId], targets: chatTargets(connection, parts.chatId), events: [event.name] };
}
