/**
 * A local stand-in for the Telegram Bot API, on 127.0.0.1 at a random port. Point `TELEGRAM_API_URL`
 * at `url`; grammY then calls `<url>/bot<token>/<method>`. It speaks the Bot API's wire format as
 * Telegram documents it (core.telegram.org/bots/api#making-requests, Bot API 10.1): parameters in the
 * query string, a JSON body or a form body (objects JSON-serialized), method names case-insensitive,
 * every answer `{ ok: true, result }` or `{ ok: false, error_code, description }` with the error code
 * as HTTP status. It checks the token and what each method receives, with Telegram's error texts.
 *
 * Methods: `getMe`, `setWebhook` (records the URL, `secret_token` and `allowed_updates`),
 * `deleteWebhook`, `getWebhookInfo`, `sendMessage` and `editMessageText` (recorded in `messages`).
 * Like Telegram, a bot can only write to chats it has an update from, in topics seen in them, and
 * reply to messages of the chat. `deliver(update)` posts an update to the registered webhook with the
 * registered secret in `X-Telegram-Bot-Api-Secret-Token`, as Telegram does. One deviation: Telegram
 * wants an HTTPS webhook; the stand-in also takes `http://` on loopback so tests can receive.
 *
 * ```ts
 * const telegram = await startTelegramStandIn();
 * const token = telegram.addBot({ id: 7000001, username: 'openflows_test_bot' });
 * // ... connect the bot, so the platform calls setWebhook ...
 * await telegram.deliver(update);
 * expect(telegram.messages).toContainEqual(expect.objectContaining({ chatId: 1111111, text: 'hi' }));
 * ```
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A bot the stand-in knows, with its token (`<id>:<secret>`, the shape @BotFather issues). */
export interface StandInBot {
  id: number;
  username: string;
  firstName: string;
  token: string;
}

/** What `setWebhook` registered for a bot. */
export interface StandInWebhook {
  url: string;
  secretToken?: string;
  allowedUpdates?: string[];
}

/** A message the bot sent with `sendMessage`; `text` follows `editMessageText`, `edits` keeps each new text. */
export interface SentMessage {
  botId: number;
  chatId: number;
  messageId: number;
  text: string;
  threadId?: number;
  replyTo?: number;
  parseMode?: string;
  edits: string[];
}

/** Every Bot API request, in arrival order: the method as named in the URL, the token, the decoded parameters. */
export interface RecordedCall {
  method: string;
  token: string;
  params: Record<string, unknown>;
}

export interface TelegramStandIn {
  /** The API root for `TELEGRAM_API_URL` and grammY's `apiRoot`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  calls: RecordedCall[];
  messages: SentMessage[];
  /** Adds a bot; @returns its token. */
  addBot(bot: { id: number; username: string; firstName?: string }): string;
  /** The bot's webhook, or undefined when none is set (never set, or deleted). */
  webhook(botId: number): StandInWebhook | undefined;
  /**
   * Posts `update` to the webhook of `botId` (default: the only bot) with its secret token, as
   * Telegram does, and makes its chat, topic and message known to the bot. `secret` overrides the
   * header (null: no header) to forge a delivery.
   * @throws Error when the bot has no webhook.
   */
  deliver(update: object, options?: { botId?: number; secret?: string | null }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** A Bot API failure: Telegram's `error_code` (also the HTTP status) and `description`. */
class BotApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    super(description);
  }
}

const badRequest = (what: string) => new BotApiError(400, `Bad Request: ${what}`);

/** Telegram's parse modes (bots/api#formatting-options). */
const PARSE_MODES = new Set(['HTML', 'Markdown', 'MarkdownV2']);
/** `setWebhook`'s `secret_token`: 1-256 characters of A-Z, a-z, 0-9, `_` and `-`. */
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

interface BotState {
  bot: StandInBot;
  webhook?: StandInWebhook;
  /** Chats the bot has had an update from, by id. */
  chats: Map<number, Record<string, unknown>>;
  /** `<chat id>/<topic id>` of forum topics seen. */
  topics: Set<string>;
  /** `<chat id>/<message id>` of messages in the bot's chats (received and sent). */
  known: Set<string>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Parameters from the query string and a JSON or form body (bots/api#making-requests). */
function decodeParams(req: IncomingMessage, url: URL, raw: string): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] ?? '';
  if (raw === '') return params;
  if (type.startsWith('application/json')) {
    const body: unknown = JSON.parse(raw);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
    return { ...params, ...body };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
  throw badRequest(`unsupported content type ${type} (the stand-in reads JSON and form bodies)`);
}

/** An Integer parameter, sent as a number (JSON) or a decimal string (query or form). */
function integerParam(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

/** A JSON-serialized object or array parameter: as is in a JSON body, a JSON string in a form. */
function structuredParam(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Starts the stand-in; see {@link TelegramStandIn}. */
export async function startTelegramStandIn(): Promise<TelegramStandIn> {
  const bots = new Map<string, BotState>();
  const calls: RecordedCall[] = [];
  const messages: SentMessage[] = [];

  const stateOf = (botId: number): BotState => {
    const state = [...bots.values()].find((s) => s.bot.id === botId);
    if (!state) throw new Error(`no bot ${botId} in the stand-in`);
    return state;
  };

  const botUser = (bot: StandInBot) => ({ id: bot.id, is_bot: true, first_name: bot.firstName, username: bot.username });

  /** `chat_id`: a chat the bot has an update from. @throws BotApiError 400 */
  const chatOf = (state: BotState, value: unknown) => {
    if (value === undefined || value === '') throw badRequest('chat_id is empty');
    const id = integerParam(value);
    const chat = id === undefined ? undefined : state.chats.get(id);
    if (!chat) throw badRequest('chat not found');
    return chat as { id: number };
  };

  /** The text of `sendMessage` and `editMessageText`: 1-4096 characters. @throws BotApiError 400 */
  const textOf = (value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '') throw badRequest('message text is empty');
    if (value.length > 4096) throw badRequest('message is too long');
    return value;
  };

  const parseModeOf = (value: unknown): string | undefined => {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !PARSE_MODES.has(value)) throw badRequest(`unsupported parse_mode`);
    return value;
  };

  const messageObject = (state: BotState, chat: object, message: SentMessage, editDate?: number) => ({
    message_id: message.messageId,
    from: botUser(state.bot),
    chat,
    date: Math.floor(Date.now() / 1000),
    ...(message.threadId !== undefined ? { message_thread_id: message.threadId, is_topic_message: true } : {}),
    ...(message.replyTo !== undefined ? { reply_to_message: { message_id: message.replyTo, chat, date: 1 } } : {}),
    ...(editDate !== undefined ? { edit_date: editDate } : {}),
    text: message.text,
  });

  const methods: Record<string, (state: BotState, params: Record<string, unknown>) => unknown> = {
    getme: (state) => ({
      ...botUser(state.bot),
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    }),
    setwebhook: (state, params) => {
      if (typeof params.url !== 'string') throw badRequest('parameter "url" is required');
      if (params.url === '') {
        state.webhook = undefined;
        return true;
      }
      let url: URL;
      try {
        url = new URL(params.url);
      } catch {
        throw badRequest('bad webhook: invalid webhook URL specified');
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
        throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      }
      const secret = params.secret_token;
      if (secret !== undefined && (typeof secret !== 'string' || !SECRET_TOKEN.test(secret))) {
        throw badRequest('secret token contains unallowed characters');
      }
      const allowed = structuredParam(params.allowed_updates);
      if (allowed !== undefined && (!Array.isArray(allowed) || allowed.some((u) => typeof u !== 'string'))) {
        throw badRequest("can't parse allowed updates");
      }
      state.webhook = {
        url: params.url,
        ...(secret ? { secretToken: secret } : {}),
        ...(allowed ? { allowedUpdates: allowed as string[] } : {}),
      };
      return true;
    },
    deletewebhook: (state) => {
      state.webhook = undefined;
      return true;
    },
    getwebhookinfo: (state) => ({
      url: state.webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: 0,
      ...(state.webhook ? { max_connections: 40 } : {}),
      ...(state.webhook?.allowedUpdates ? { allowed_updates: state.webhook.allowedUpdates } : {}),
    }),
    sendmessage: (state, params) => {
      const chat = chatOf(state, params.chat_id);
      const text = textOf(params.text);
      const parseMode = parseModeOf(params.parse_mode);
      const threadId = params.message_thread_id === undefined ? undefined : integerParam(params.message_thread_id);
      if (params.message_thread_id !== undefined && (threadId === undefined || !state.topics.has(`${chat.id}/${threadId}`))) {
        throw badRequest('message thread not found');
      }
      const reply = structuredParam(params.reply_parameters) as { message_id?: unknown } | undefined;
      const replyTo = reply === undefined ? undefined : integerParam(reply?.message_id);
      if (reply !== undefined && (replyTo === undefined || !state.known.has(`${chat.id}/${replyTo}`))) {
        throw badRequest('message to be replied not found');
      }
      const ids = [...state.known].filter((k) => k.startsWith(`${chat.id}/`)).map((k) => Number(k.split('/')[1]));
      const message: SentMessage = {
        botId: state.bot.id,
        chatId: chat.id,
        messageId: Math.max(0, ...ids) + 1,
        text,
        ...(threadId !== undefined ? { threadId } : {}),
        ...(replyTo !== undefined ? { replyTo } : {}),
        ...(parseMode ? { parseMode } : {}),
        edits: [],
      };
      state.known.add(`${chat.id}/${message.messageId}`);
      messages.push(message);
      return messageObject(state, chat, message);
    },
    editmessagetext: (state, params) => {
      const chat = chatOf(state, params.chat_id);
      const messageId = integerParam(params.message_id);
      const message = messages.find((m) => m.botId === state.bot.id && m.chatId === chat.id && m.messageId === messageId);
      if (!message) throw badRequest('message to edit not found');
      const text = textOf(params.text);
      if (text === message.text) {
        throw badRequest(
          'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
        );
      }
      message.text = text;
      message.edits.push(text);
      return messageObject(state, chat, message, Math.floor(Date.now() / 1000));
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match;
    let params: Record<string, unknown>;
    try {
      params = decodeParams(req, url, await readBody(req));
    } catch (error) {
      const failure = error instanceof BotApiError ? error : badRequest("can't parse request body");
      return send(res, failure.code, { ok: false, error_code: failure.code, description: failure.description });
    }
    calls.push({ method, token, params });
    const state = bots.get(token);
    if (!state) return send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const run = methods[method.toLowerCase()];
    if (!run) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    try {
      send(res, 200, { ok: true, result: run(state, params) });
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      send(res, error.code, { ok: false, error_code: error.code, description: error.description });
    }
  };

  /** Makes the chat, topic and message of an update known to the bot, as receiving it does at Telegram. */
  const learn = (state: BotState, update: Record<string, any>) => {
    const message = update.message ?? update.edited_message ?? update.callback_query?.message;
    if (!message?.chat) return;
    state.chats.set(message.chat.id, message.chat);
    state.known.add(`${message.chat.id}/${message.message_id}`);
    if (message.is_topic_message && message.message_thread_id !== undefined)
      state.topics.add(`${message.chat.id}/${message.message_thread_id}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      send(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    calls,
    messages,
    addBot: ({ id, username, firstName }) => {
      const token = `${id}:${randomBytes(26).toString('base64url')}`;
      bots.set(token, {
        bot: { id, username, firstName: firstName ?? username, token },
        chats: new Map(),
        topics: new Set(),
        known: new Set(),
      });
      return token;
    },
    webhook: (botId) => stateOf(botId).webhook,
    async deliver(update, options = {}) {
      const states = [...bots.values()];
      const state = options.botId !== undefined ? stateOf(options.botId) : states.length === 1 ? states[0] : undefined;
      if (!state) throw new Error('deliver needs options.botId when the stand-in has several bots');
      const webhook = state.webhook;
      if (!webhook) throw new Error(`bot ${state.bot.id} has no webhook`);
      learn(state, update as Record<string, any>);
      const secret = options.secret === undefined ? webhook.secretToken : options.secret;
      const res = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret !== null && secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}),
        },
        body: JSON.stringify(update),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Telegram reads only the status; a body that is not JSON is kept as text for the test to see.
      }
      return { status: res.status, body };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
