import type { SdkHost } from './host';
import { SdkError, type ChatContext, type ChatMessageOptions, type EventSource } from './types';

/**
 * A chat app's own client as flows get it (grammY's `Api` for Telegram, …): any method at any depth
 * (`client.sendPhoto(chatId, photo)`, `client.im.message.create({...})`), each call answered by the
 * platform with the vendor's response. Typed loosely on purpose: the vendor's docs are the reference.
 */
export type ChatClient = Record<string, any>;

/**
 * The same shape for every chat app (`telegram`, `discord`, `lark`, `wechat`, and `slack` as aliases),
 * so a flow moves between them by changing one word.
 */
export interface ChatApp<Options extends ChatMessageOptions = ChatMessageOptions> {
  /**
   * The source for `listenToEvent`: messages of one chat of the connected account `account` (its
   * name or id), or of every chat of it with `'*'`.
   * @throws SdkError INVALID_ARGUMENT unless both are non-empty strings without `/`.
   */
  chat(account: string, chatId: string): EventSource;
  /**
   * Sends `text` to `chatId` as the connected bot, in `options.threadId` and as a reply to
   * `options.replyTo` when given. @returns the vendor's id of the new message.
   * @throws SdkError NOT_CONNECTED outside a run of this app's event, REQUEST_FAILED when the vendor refuses.
   */
  sendMessage(chatId: string, text: string, options?: Options): Promise<{ messageId: string }>;
  /** The vendor's full client, authenticated as the event's connected account. */
  readonly client: ChatClient;
  /** The event's account, chat, thread, message and sender. */
  readonly context: ChatContext;
}

/** Names a proxy never answers: `then` would make it look like a promise to `await`. */
const unanswered = (property: string | symbol): property is symbol =>
  typeof property === 'symbol' || property === 'then' || property === 'toJSON';

/** A client method at any depth, called as the capability `<app>.client` with its dotted path and arguments. */
function clientMethod(host: SdkHost, app: string, path: string[]): unknown {
  const invoke = (...args: unknown[]) => host.call(`${app}.client`, [path.join('.'), args]);
  return new Proxy(invoke, {
    get: (_target, property) => (unanswered(property) ? undefined : clientMethod(host, app, [...path, property])),
  });
}

/** `<app>.chat(account, chatId)`'s source. @throws SdkError INVALID_ARGUMENT */
export function chatSource(app: string, account: string, chatId: string): EventSource {
  const valid = (part: unknown) => typeof part === 'string' && part !== '' && !part.includes('/');
  if (!valid(account) || !valid(chatId)) {
    throw new SdkError('INVALID_ARGUMENT', `${app}.chat(account, chatId) needs two names or ids, got ${JSON.stringify([account, chatId])}`);
  }
  return { provider: app, target: `${account}/${chatId}`.toLowerCase() };
}

/** The SDK namespace of chat app `app` (its provider id), bound to `host`. */
export function chatApp<Options extends ChatMessageOptions = ChatMessageOptions>(host: SdkHost, app: string): ChatApp<Options> {
  const client = new Proxy({} as ChatClient, {
    get: (_target, property) => (unanswered(property) ? undefined : clientMethod(host, app, [property])),
  });
  return {
    chat: (account, chatId) => chatSource(app, account, chatId),
    sendMessage: (chatId, text, options) =>
      host.call(`${app}.sendMessage`, [chatId, text, options ?? {}]) as Promise<{ messageId: string }>,
    client,
    get context() {
      return host.context(app) as ChatContext;
    },
  };
}
