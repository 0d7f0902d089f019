/**
 * A local stand-in for the Feishu/Lark Open Platform on 127.0.0.1 at a random port (point
 * `LARK_API_URL` at `url`), and the platform's side of event subscription v2: `deliver` posts a
 * callback encrypted and signed as Lark does. Built from the official Node SDK's types
 * (test/fixtures/lark: `im-endpoints.json`, `im-event-types.json`, MIT) and Lark's callback rules:
 *
 * - `POST /open-apis/auth/v3/tenant_access_token/internal {app_id, app_secret}` → `{code: 0, msg,
 *   tenant_access_token, expire}` (flat, seconds); a wrong secret `{code: 10014}`, an unknown app
 *   `{code: 10003}`, both with HTTP 200 as the SDK's token manager expects.
 * - `GET /open-apis/bot/v3/info` → `{code: 0, msg, bot: {app_name, open_id, …}}`.
 * - `POST /open-apis/im/v1/messages?receive_id_type=…` and `POST /open-apis/im/v1/messages/:message_id/reply`:
 *   the query, path and body checked against the SDK's request types (required fields, types, enums, no
 *   unknown fields), `content` a JSON string (`{"text": …}` for `text`), the chat one the bot is in;
 *   answers `{code: 0, msg: 'success', data: <message>}`.
 * Every call but the token's needs `Authorization: Bearer <tenant_access_token>` of a token it issued
 * and that has not expired. Errors use Lark's `{code, msg}` body with HTTP 400 and the codes of Lark's
 * error code list: 99991661 (no token), 99991663 (invalid or expired token), 99992402 (field validation
 * failed), 230001 (invalid parameter, e.g. an unknown message), 230002 (the bot is not in the chat).
 *
 * ```ts
 * const lark = await startLarkStandIn();
 * lark.addApp({ appId: 'cli_a1', appSecret: 's', encryptKey: 'k', verificationToken: 'v', botName: 'Helper', botOpenId: 'ou_bot', chats: ['oc_1'] });
 * const event = lark.messageEvent('cli_a1', { chatId: 'oc_1', text: 'hello' });
 * await lark.deliver(`${platform}/webhooks/lark/${connectionId}`, 'cli_a1', event);
 * expect(lark.sent).toContainEqual(expect.objectContaining({ chat_id: 'oc_1', text: 'echo: hello' }));
 * ```
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', 'fixtures', 'lark');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** A JSON-Schema-like type as the fixtures write them: `type`, `properties`, `required`, `items`, `enum`. */
interface Shape {
  type?: string;
  properties?: Record<string, Shape>;
  required?: string[];
  items?: Shape;
  enum?: unknown[];
}

/** Where `value` departs from `shape` (unknown properties included), as `path: problem` lines. */
export function shapeErrors(value: unknown, shape: Shape, path = '$'): string[] {
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (shape.type && shape.type !== type) return [`${path}: ${type}, not ${shape.type}`];
  if (shape.enum && !shape.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} is none of ${JSON.stringify(shape.enum)}`];
  if (type === 'array' && shape.items) return (value as unknown[]).flatMap((item, i) => shapeErrors(item, shape.items!, `${path}[${i}]`));
  if (type !== 'object' || !shape.properties) return [];
  const object = value as Record<string, unknown>;
  return [
    ...(shape.required ?? []).filter((name) => object[name] === undefined).map((name) => `${path}.${name}: missing`),
    ...Object.entries(object).flatMap(([name, field]) => {
      const property = shape.properties![name];
      if (!property) return [`${path}.${name}: not a field Lark knows`];
      return field === undefined ? [] : shapeErrors(field, property, `${path}.${name}`);
    }),
  ];
}

const ENDPOINTS = fixture('im-endpoints.json').endpoints as Record<string, { request: Shape }>;
const RECEIVE_EVENT = fixture('im-event-types.json')['im.message.receive_v1'] as Shape;
/** The Feishu docs' sample `im.message.receive_v1` body (see test/fixtures/lark/README.md). */
const SAMPLE_EVENT = fixture('im.message.receive_v1.json');

export interface LarkStandInApp {
  appId: string;
  appSecret: string;
  encryptKey: string;
  verificationToken: string;
  botName: string;
  botOpenId: string;
  /** The chats the bot is in. */
  chats: string[];
}

/** A message the stand-in knows: delivered to a bot by `messageEvent`, or sent by one. */
export interface LarkMessage {
  appId: string;
  message_id: string;
  chat_id: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  msg_type: string;
  content: string;
  /** `content`'s text for text messages. */
  text?: string;
  sender: { id: string; id_type: 'open_id' | 'app_id'; sender_type: 'user' | 'app' };
}

/** Every call, in arrival order. */
export interface LarkCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The bearer token, if any. */
  token?: string;
  body: unknown;
}

/** What a user's message event says; defaults: a user `ou_alice`, a text message at the chat's top level. */
export interface MessageFields {
  chatId: string;
  text: string;
  threadId?: string;
  /** The message it replies to (`root_id` and `parent_id`). */
  rootId?: string;
  senderOpenId?: string;
  senderType?: 'user' | 'app';
  eventId?: string;
  /** Replaces `header.token` (a forged token). */
  token?: string;
}

/** How `deliver` posts a callback; by default encrypted and signed with the app's Encrypt Key. */
export interface DeliverOptions {
  encrypt?: boolean;
  sign?: boolean;
  /** Signs with this key instead of the app's (a forged signature). */
  signingKey?: string;
}

export interface LarkStandIn {
  url: string;
  calls: LarkCall[];
  /** Messages the bots sent (create and reply), in order. */
  sent: LarkMessage[];
  addApp(app: LarkStandInApp): void;
  /** A user's (or app's) `im.message.receive_v1` body for `appId`; the stand-in then knows the message (replies to it work). */
  messageEvent(appId: string, fields: MessageFields): { schema: string; header: Record<string, string>; event: any };
  /** The `url_verification` body Lark sends when the request URL is saved. */
  challenge(appId: string): { challenge: string; token: string; type: 'url_verification' };
  /** Posts `body` to `url` as Lark does for `appId`'s event subscription. */
  deliver(url: string, appId: string, body: unknown, options?: DeliverOptions): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * A callback body and headers as Lark sends them: with `encrypt`, the body is `{"encrypt": base64(iv +
 * AES-256-CBC(json))}` with key = SHA-256 of the Encrypt Key and a random IV (the SDK only decrypts, so
 * this side is node:crypto); with `sign`, `X-Lark-Request-Timestamp`, `X-Lark-Request-Nonce` and
 * `X-Lark-Signature` = hex sha256(timestamp + nonce + key + body) over the compact JSON sent.
 */
export function larkCallback(
  body: unknown,
  encryptKey: string,
  options: DeliverOptions = {},
): { headers: Record<string, string>; body: string } {
  const json = JSON.stringify(body);
  let sent = json;
  if (options.encrypt ?? true) {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(encryptKey).digest(), iv);
    sent = JSON.stringify({ encrypt: Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final()]).toString('base64') });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (options.sign ?? true) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const key = options.signingKey ?? encryptKey;
    headers['x-lark-request-timestamp'] = timestamp;
    headers['x-lark-request-nonce'] = nonce;
    headers['x-lark-signature'] = createHash('sha256').update(`${timestamp}${nonce}${key}${sent}`).digest('hex');
  }
  return { headers, body: sent };
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Thrown by a handler: answered as Lark's error body. */
class LarkError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const id = (prefix: string) => `${prefix}_${randomBytes(16).toString('hex')}`;

/** Starts the stand-in; see {@link LarkStandIn}. */
export async function startLarkStandIn(options: { tokenTtlSeconds?: number } = {}): Promise<LarkStandIn> {
  const ttl = options.tokenTtlSeconds ?? 7200;
  const apps = new Map<string, LarkStandInApp>();
  const tokens = new Map<string, { appId: string; expiresAt: number }>();
  const messages = new Map<string, LarkMessage>();
  const calls: LarkCall[] = [];
  const sent: LarkMessage[] = [];
  let clock = 1_700_000_000_000;

  const appOf = (appId: string) => {
    const app = apps.get(appId);
    if (!app) throw new Error(`no app ${appId} in the stand-in`);
    return app;
  };

  /** The app a request's bearer token belongs to. @throws LarkError 99991661, 99991663 */
  const authorised = (token: string | undefined): LarkStandInApp => {
    if (!token) throw new LarkError(99991661, 'Missing access token for authorization. Please make a request with token attached.');
    const issued = tokens.get(token);
    if (!issued || issued.expiresAt <= Date.now()) {
      throw new LarkError(99991663, 'Invalid access token for authorization. Please make a request with token attached.');
    }
    return appOf(issued.appId);
  };

  const checked = (endpoint: string, request: Record<string, unknown>) => {
    const errors = shapeErrors(request, ENDPOINTS[endpoint].request);
    if (errors.length > 0) throw new LarkError(99992402, `field validation failed: ${errors.join('; ')}`);
  };

  /** A text message's text; other types carry their own content JSON. @throws LarkError 230001 */
  const textOf = (msgType: string, content: string): string | undefined => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      throw new LarkError(230001, 'Your request contains an invalid request parameter: content is not JSON');
    }
    if (msgType !== 'text') return undefined;
    const text = (parsed as { text?: unknown } | null)?.text;
    if (typeof text !== 'string' || text === '')
      throw new LarkError(230001, 'Your request contains an invalid request parameter: text content');
    return text;
  };

  const post = (app: LarkStandInApp, fields: Omit<LarkMessage, 'appId' | 'message_id' | 'sender' | 'text'>) => {
    if (!app.chats.includes(fields.chat_id)) throw new LarkError(230002, 'Bot/User can NOT be out of the chat.');
    const message: LarkMessage = {
      ...fields,
      appId: app.appId,
      message_id: id('om'),
      text: textOf(fields.msg_type, fields.content),
      sender: { id: app.appId, id_type: 'app_id', sender_type: 'app' },
    };
    messages.set(message.message_id, message);
    sent.push(message);
    const { appId: _app, text: _text, content, ...data } = message;
    const time = String(++clock);
    return {
      code: 0,
      msg: 'success',
      data: { ...data, create_time: time, update_time: time, deleted: false, updated: false, body: { content } },
    };
  };

  const routes: Record<string, (req: { query: Record<string, string>; body: any; token?: string; path: string[] }) => unknown> = {
    'POST /open-apis/auth/v3/tenant_access_token/internal': ({ body }) => {
      checked('auth.v3.tenantAccessToken.internal', { data: body });
      const app = apps.get(body.app_id);
      if (!app) return { code: 10003, msg: 'invalid param' };
      if (body.app_secret !== app.appSecret) return { code: 10014, msg: 'app secret invalid' };
      const token = `t-${randomBytes(20).toString('hex')}`;
      tokens.set(token, { appId: app.appId, expiresAt: Date.now() + ttl * 1000 });
      return { code: 0, msg: 'ok', tenant_access_token: token, expire: ttl };
    },
    'GET /open-apis/bot/v3/info': ({ token }) => {
      const app = authorised(token);
      return {
        code: 0,
        msg: 'ok',
        bot: {
          activate_status: 2,
          app_name: app.botName,
          avatar_url: 'https://example.invalid/avatar.png',
          ip_white_list: [],
          open_id: app.botOpenId,
        },
      };
    },
    'POST /open-apis/im/v1/messages': ({ token, query, body }) => {
      const app = authorised(token);
      checked('im.v1.message.create', { data: body, params: query });
      if (query.receive_id_type !== 'chat_id') throw new LarkError(230001, 'this stand-in only sends to chats (receive_id_type chat_id)');
      return post(app, { chat_id: body.receive_id, msg_type: body.msg_type, content: body.content });
    },
    'POST /open-apis/im/v1/messages/:message_id/reply': ({ token, query, body, path }) => {
      const app = authorised(token);
      const [messageId] = path;
      checked('im.v1.message.reply', {
        data: body,
        path: { message_id: messageId },
        ...(Object.keys(query).length ? { params: query } : {}),
      });
      const parent = messages.get(messageId);
      if (!parent || parent.appId !== app.appId)
        throw new LarkError(230001, 'Your request contains an invalid request parameter: message_id');
      const thread = body.reply_in_thread ? (parent.thread_id ?? id('omt')) : parent.thread_id;
      return post(app, {
        chat_id: parent.chat_id,
        msg_type: body.msg_type,
        content: body.content,
        root_id: parent.root_id ?? parent.message_id,
        parent_id: parent.message_id,
        ...(thread ? { thread_id: thread } : {}),
      });
    },
  };

  /** The route of `method path`, with the values of its `:name` segments. */
  const routeOf = (method: string, pathname: string) => {
    for (const [key, handler] of Object.entries(routes)) {
      const [routeMethod, routePath] = key.split(' ');
      const pattern = new RegExp(`^${routePath.replace(/:[a-z_]+/g, '([^/]+)')}$`);
      const match = routeMethod === method ? pattern.exec(pathname) : null;
      if (match) return { handler, path: match.slice(1).map(decodeURIComponent) };
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const raw = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let body: unknown = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, { code: 99992402, msg: 'field validation failed: the body is not JSON' });
      }
    }
    calls.push({ method: req.method ?? '', path: url.pathname, query, token, body });
    const route = routeOf(req.method ?? '', url.pathname);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('404 page not found');
    }
    try {
      send(res, 200, route.handler({ query, body: body ?? {}, token, path: route.path }));
    } catch (error) {
      if (!(error instanceof LarkError)) throw error;
      send(res, error.status, { code: error.code, msg: error.message });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { code: 1, msg: `stand-in failure: ${String(error)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    calls,
    sent,
    addApp: (app) => void apps.set(app.appId, app),
    messageEvent(appId, fields) {
      const app = appOf(appId);
      const sender = fields.senderOpenId ?? 'ou_alice';
      const message: LarkMessage = {
        appId,
        message_id: id('om'),
        chat_id: fields.chatId,
        msg_type: 'text',
        content: JSON.stringify({ text: fields.text }),
        text: fields.text,
        sender: { id: sender, id_type: 'open_id', sender_type: fields.senderType ?? 'user' },
        ...(fields.rootId ? { root_id: fields.rootId, parent_id: fields.rootId } : {}),
        ...(fields.threadId ? { thread_id: fields.threadId } : {}),
      };
      messages.set(message.message_id, message);
      const sample = structuredClone(SAMPLE_EVENT);
      const { root_id: _root, parent_id: _parent, mentions: _mentions, ...sampleMessage } = sample.event.message;
      const time = String(++clock);
      const body = {
        schema: '2.0',
        header: {
          ...sample.header,
          event_id: fields.eventId ?? randomBytes(16).toString('hex'),
          create_time: time,
          token: fields.token ?? app.verificationToken,
          app_id: appId,
        },
        event: {
          sender: {
            ...sample.event.sender,
            sender_id: { ...sample.event.sender.sender_id, open_id: sender },
            sender_type: message.sender.sender_type,
          },
          message: {
            ...sampleMessage,
            message_id: message.message_id,
            create_time: time,
            chat_id: message.chat_id,
            chat_type: 'group',
            content: message.content,
            ...(message.root_id ? { root_id: message.root_id, parent_id: message.parent_id } : {}),
            ...(message.thread_id ? { thread_id: message.thread_id } : {}),
          },
        },
      };
      // The SDK's type of the event (header and event flattened, as its dispatcher hands them on).
      const errors = shapeErrors({ ...body.header, ...body.event }, RECEIVE_EVENT);
      if (errors.length > 0) throw new Error(`not an im.message.receive_v1 event: ${errors.join('; ')}`);
      return body;
    },
    challenge: (appId) => ({ challenge: randomBytes(12).toString('hex'), token: appOf(appId).verificationToken, type: 'url_verification' }),
    async deliver(target, appId, body, deliverOptions = {}) {
      const callback = larkCallback(body, appOf(appId).encryptKey, deliverOptions);
      const res = await fetch(target, { method: 'POST', headers: callback.headers, body: callback.body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: the text is the answer.
      }
      return { status: res.status, body: parsed };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
