import type { EventEnvelope } from '@openflows/common';
import type { WebChatContext, WebChatMessage, WebChatRole } from '@openflows/sdk';

/** The provider id of web chats: `EventSource.provider`, `EventEnvelope.provider` and the SDK namespace `web`. */
export const WEB_PROVIDER = 'web';

/**
 * A web chat's target as its events carry it: `<flow id>/<chat name>`. Subscriptions name the chat only
 * (`web.chat(name)`); the flow id keeps two flows of one owner with a chat of the same name apart.
 */
export function chatTarget(flowId: string, chat: string): string {
  return `${flowId}/${chat}`;
}

/** The flow id and chat name of a web chat event's target, or undefined for anything else. */
export function targetParts(target: string | null | undefined): { flowId: string; chat: string } | undefined {
  const slash = (target ?? '').indexOf('/');
  if (slash <= 0) return undefined;
  return { flowId: target!.slice(0, slash), chat: target!.slice(slash + 1) };
}

/**
 * The envelope of a visitor's message to the chat `chat` of flow `flowId`: event `message`,
 * `deliveryId` = `web:<message id>` (the page's id of the message, unique per visitor session, so a
 * resent POST is recorded once), and `conversationKey` = the visitor's conversation, so the messages
 * of one conversation run in order and different visitors in parallel.
 */
export function messageEnvelope(flowId: string, message: WebChatMessage): EventEnvelope {
  return {
    provider: WEB_PROVIDER,
    deliveryId: `web:${message.messageId}`,
    name: 'message',
    target: chatTarget(flowId, message.chat),
    conversationKey: `web/${flowId}/${message.chat}/${message.conversationId}`,
    payload: message,
  };
}

/** `web.context` of a run of `message`. */
export function chatContextOf(message: WebChatMessage): WebChatContext {
  const role: WebChatRole | undefined = message.role ? { name: message.role.name, systemPrompt: message.role.systemPrompt } : undefined;
  return {
    account: message.chat,
    chatId: message.conversationId,
    messageId: message.messageId,
    sender: { id: message.visitor.id, isBot: false },
    ...(role ? { role } : {}),
    restart: message.restart === true,
  };
}
