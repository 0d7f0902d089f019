/**
 * A local stand-in for Discord's REST API v10 and for Discord's side of HTTP interactions, on
 * 127.0.0.1 at a random port. Point `DISCORD_API_URL` at `url` (`http://127.0.0.1:<port>/api/v10`).
 * Shaped on Discord's OpenAPI description (discord/discord-api-spec, MIT) and its docs
 * (discord/discord-api-docs): it checks `Authorization: Bot <token>` (401 `{ message: '401:
 * Unauthorized', code: 0 }` otherwise), the `DiscordBot (url, version)` User-Agent, JSON bodies and
 * their limits (400 `{ code: 50035, message: 'Invalid Form Body', errors }`), and answers with
 * Discord's objects and `{ code, message }` error bodies. Implemented: `GET /applications/@me`,
 * `GET /users/@me`, `GET /gateway/bot`, `GET`/`PUT /applications/{id}/commands` (recorded), the
 * interaction webhooks (`GET`/`PATCH /webhooks/{app}/{token}/messages/@original`, `POST
 * /webhooks/{app}/{token}`: only for a token the endpoint acknowledged within 3 s, for 15 minutes) and
 * `POST /channels/{id}/messages`.
 *
 * `interact(appId, payload)` is Discord calling the application's Interactions Endpoint URL: the
 * payload signed with the application's Ed25519 key as Discord signs it.
 *
 * The Gateway (`GET /gateway/bot` gives `ws://…/gateway`) speaks Discord's protocol v10 in JSON
 * without compression, as the docs' "Gateway" and "Opcodes and Status Codes" pages describe it:
 * HELLO (op 10), IDENTIFY (op 2) checked for the bot token (close 4004), the API version (4012) and
 * the Message Content intent the application has not enabled (4014), READY and one GUILD_CREATE per
 * guild of the bot, heartbeats (op 1) answered with op 11; `dispatchMessage(appId, message)` sends a
 * MESSAGE_CREATE to the bot's open sessions.
 *
 * ```ts
 * const discord = await startDiscordStandIn();
 * const app = discord.addApp({ name: 'OpenFlows Bot' });  // its id, publicKey and botToken to connect with
 * discord.setInteractionsEndpoint(app.id, webhookUrl);    // pasted in the Developer Portal
 * const { status, body } = await discord.interact(app.id, slashCommand('ask', { question: 'hi' }));
 * expect(discord.messages).toContainEqual(expect.objectContaining({ via: 'original', content: 'echo: hi' }));
 * ```
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { interactionKeys, signedInteraction, snowflake } from './discord-interactions';

/** An application of the stand-in, with what the Developer Portal shows of it. */
export interface StandInApp {
  id: string;
  name: string;
  /** Ed25519 public key, 64 hex digits (General Information → Public Key). */
  publicKey: string;
  privateKey: KeyObject;
  botToken: string;
  bot: { id: string; username: string };
  /** The Interactions Endpoint URL pasted in the portal; undefined until then. */
  endpoint?: string;
  /** The privileged Message Content intent is turned on (Bot page); default true. */
  messageContentIntent: boolean;
  /** Servers the bot is in, with their text channels and active threads. */
  guilds: StandInGuild[];
}

export interface StandInGuild {
  id: string;
  name: string;
  channels: { id: string; name: string }[];
  threads: { id: string; name: string; parentId: string }[];
}

/** An identified Gateway session of a bot. */
export interface GatewaySession {
  appId: string;
  /** The intents bitfield of its IDENTIFY. */
  intents: number;
  shard: [number, number];
  open: boolean;
}

/** A message the bot created or filled in: in a channel, as the interaction's original response, or as a follow-up. */
export interface StandInMessage {
  id: string;
  channelId: string;
  via: 'channel' | 'original' | 'followup';
  content: string;
  /** The interaction answered (`original`, `followup`). */
  interactionId?: string;
  /** `message_reference.message_id` of a channel message. */
  replyTo?: string;
  body: Record<string, unknown>;
}

/** Every REST call, in arrival order. */
export interface StandInCall {
  method: string;
  path: string;
  /** The `Authorization` header as sent. */
  authorization?: string;
  body?: unknown;
}

/** An interaction Discord posted to an endpoint, with the answer it got and how long it took (ms). */
export interface StandInInteraction {
  id: string;
  appId: string;
  status: number;
  response: unknown;
  ms: number;
}

export interface DiscordStandIn {
  /** The REST base, `http://127.0.0.1:<port>/api/v10`. */
  url: string;
  calls: StandInCall[];
  messages: StandInMessage[];
  interactions: StandInInteraction[];
  /** The global commands of each application, as the last `PUT /applications/{id}/commands` set them. */
  commands: Map<string, Record<string, unknown>[]>;
  addApp(app: { name: string; id?: string }): StandInApp;
  /** Sets the application's Interactions Endpoint URL, as pasting it in the portal does. */
  setInteractionsEndpoint(appId: string, url: string): void;
  /**
   * Posts `payload` to the application's endpoint, signed with its key (or `options.privateKey`) at
   * `options.timestamp` (seconds, default now); `options.body` replaces the signed body (tampering).
   * An acknowledged interaction's token then accepts follow-ups.
   */
  interact(
    appId: string,
    payload: Record<string, unknown>,
    options?: { privateKey?: KeyObject; timestamp?: number; body?: string },
  ): Promise<{ status: number; body: any }>;
  /** Makes the application's bot token invalid, as resetting it in the portal does. */
  resetToken(appId: string): void;
  /** Gateway sessions that identified, in order. */
  gatewaySessions: GatewaySession[];
  /** Sends `message` as a MESSAGE_CREATE dispatch to the application's open sessions. @returns how many got it. */
  dispatchMessage(appId: string, message: Record<string, unknown>): number;
  close(): Promise<void>;
}

/** Discord's limits the stand-in enforces (ApplicationCommandUpdateRequest, IncomingWebhookUpdateRequestPartial, MessageCreateRequest). */
const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const MAX_COMMANDS = 100;
const WEBHOOK_CONTENT_MAX = 2000;
const CHANNEL_CONTENT_MAX = 4000;
/** Discord drops an interaction not answered within 3 s; its token then lasts 15 minutes. */
const ANSWER_WITHIN_MS = 3000;
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** Gateway intents (Discord's "Gateway Intents"). */
const MESSAGE_CONTENT_INTENT = 1 << 15;
const HEARTBEAT_INTERVAL_MS = 41_250;

class DiscordError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const unauthorized = () => new DiscordError(401, { message: '401: Unauthorized', code: 0 });
const notFound = () => new DiscordError(404, { message: '404: Not Found', code: 0 });
/** `errors` as Discord nests them: `{ field: { _errors: [{ code, message }] } }`. */
const invalidForm = (errors: Record<string, unknown>) => new DiscordError(400, { code: 50035, message: 'Invalid Form Body', errors });
const fieldError = (code: string, message: string) => ({ _errors: [{ code, message }] });

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The errors of one command of a bulk overwrite (ApplicationCommandUpdateRequest and its options), or undefined. */
function commandErrors(command: Record<string, unknown>): Record<string, unknown> | undefined {
  const errors: Record<string, unknown> = {};
  const name = command.name;
  if (typeof name !== 'string' || !COMMAND_NAME.test(name) || name !== name.toLowerCase()) {
    errors.name = fieldError('APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  }
  const description = command.description;
  if (typeof description !== 'string' || description.length < 1 || description.length > 100) {
    errors.description = fieldError('BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  }
  const options = command.options;
  if (options !== undefined) {
    if (!Array.isArray(options) || options.length > 25)
      errors.options = fieldError('BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    else
      options.forEach((option: Record<string, unknown>, i) => {
        const bad = commandErrors(option) ?? {};
        if (!Number.isInteger(option.type) || (option.type as number) < 1 || (option.type as number) > 11) {
          bad.type = fieldError('BASE_TYPE_CHOICES', 'Value must be one of (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11).');
        }
        if (Object.keys(bad).length > 0) errors.options = { ...(errors.options as object), [i]: bad };
      });
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** The errors of a message body for a limit of `max` characters of content, or undefined. */
function messageErrors(body: Record<string, unknown>, max: number): Record<string, unknown> | undefined {
  if (body.content !== undefined && (typeof body.content !== 'string' || body.content.length > max)) {
    return { content: fieldError('BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`) };
  }
  return undefined;
}

/** Starts the stand-in; see {@link DiscordStandIn}. */
export async function startDiscordStandIn(): Promise<DiscordStandIn> {
  const apps = new Map<string, StandInApp>();
  const calls: StandInCall[] = [];
  const messages: StandInMessage[] = [];
  const interactions: StandInInteraction[] = [];
  const commands = new Map<string, Record<string, unknown>[]>();
  /** Interaction tokens the endpoint acknowledged: what follow-ups may use. */
  const tokens = new Map<
    string,
    { appId: string; interactionId: string; channelId: string; until: number; originalId: string; answer?: StandInMessage }
  >();

  const appOfToken = (authorization: string | undefined): StandInApp => {
    const token = /^Bot (.+)$/.exec(authorization ?? '')?.[1];
    const app = [...apps.values()].find((a) => a.botToken === token);
    if (!app) throw unauthorized();
    return app;
  };

  const botMessage = (app: StandInApp, message: StandInMessage, type: number, flags = 0) => ({
    id: message.id,
    type,
    content: message.content,
    channel_id: message.channelId,
    author: { id: app.bot.id, username: app.bot.username, discriminator: '0', global_name: null, avatar: null, bot: true },
    attachments: [],
    embeds: [],
    mentions: [],
    mention_roles: [],
    pinned: false,
    mention_everyone: false,
    tts: false,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    flags,
    components: [],
    ...(message.via === 'channel' ? {} : { webhook_id: app.id, application_id: app.id }),
    ...(message.replyTo ? { message_reference: { type: 0, message_id: message.replyTo, channel_id: message.channelId } } : {}),
  });

  /** The interaction webhook routes: `/webhooks/{app}/{token}` and `/webhooks/{app}/{token}/messages/@original`. */
  const webhook = (method: string, parts: string[], authorization: string | undefined, body: Record<string, unknown>) => {
    const [appId, token, messages_, original] = parts;
    const app = apps.get(appId);
    const issued = tokens.get(token);
    if (!app || !issued || issued.appId !== appId || issued.until < Date.now()) {
      throw new DiscordError(401, { message: 'Invalid Webhook Token', code: 50027 });
    }
    // Interaction webhooks take no auth, or the application's own bot token.
    if (authorization !== undefined && appOfToken(authorization) !== app) throw unauthorized();
    const onOriginal = messages_ === 'messages' && original === '@original' && parts.length === 4;
    if (method === 'GET' && onOriginal) {
      // Deferred and not filled in yet: empty, with the LOADING flag (1 << 7), as Discord shows "thinking…".
      const shown = issued.answer ?? { id: issued.originalId, channelId: issued.channelId, via: 'original', content: '', body: {} };
      return botMessage(app, shown, 20, issued.answer ? 0 : 1 << 7);
    }
    const errors = messageErrors(body, WEBHOOK_CONTENT_MAX);
    if (errors) throw invalidForm(errors);
    if (method === 'PATCH' && onOriginal) {
      const message: StandInMessage = {
        id: issued.originalId,
        channelId: issued.channelId,
        via: 'original',
        content: String(body.content ?? ''),
        interactionId: issued.interactionId,
        body,
      };
      messages.push(message);
      issued.answer = message;
      return botMessage(app, message, 20);
    }
    if (method === 'POST' && parts.length === 2) {
      if (typeof body.content !== 'string' || body.content === '')
        throw new DiscordError(400, { code: 50006, message: 'Cannot send an empty message' });
      const message: StandInMessage = {
        id: snowflake(),
        channelId: issued.channelId,
        via: 'followup',
        content: body.content,
        interactionId: issued.interactionId,
        body,
      };
      messages.push(message);
      return botMessage(app, message, 20);
    }
    throw notFound();
  };

  const sessions: GatewaySession[] = [];
  /** How to send a dispatch to each open session. */
  const dispatchers = new Map<GatewaySession, (t: string, d: unknown) => void>();
  let gatewayUrl = '';

  /** One Gateway connection: HELLO, then IDENTIFY → READY and the guilds, heartbeats, and the dispatches tests send. */
  const gatewaySession = (socket: WebSocket, query: URLSearchParams) => {
    let sequence = 0;
    const sendOp = (op: number, d: unknown, t: string | null = null) =>
      socket.send(JSON.stringify({ op, d, s: op === 0 ? ++sequence : null, t }));
    if (query.get('v') !== '10' || query.get('encoding') !== 'json') {
      socket.close(4012, 'Invalid API version');
      return;
    }
    sendOp(10, { heartbeat_interval: HEARTBEAT_INTERVAL_MS });
    socket.on('message', (raw) => {
      const { op, d } = JSON.parse(String(raw)) as { op: number; d: any };
      if (op === 1) return void sendOp(11, undefined);
      if (op !== 2) return;
      const app = [...apps.values()].find((a) => a.botToken === d?.token);
      if (!app) return void socket.close(4004, 'Authentication failed.');
      if ((d.intents & MESSAGE_CONTENT_INTENT) !== 0 && !app.messageContentIntent) return void socket.close(4014, 'Disallowed intent(s).');
      const session: GatewaySession = { appId: app.id, intents: d.intents, shard: d.shard ?? [0, 1], open: true };
      sessions.push(session);
      socket.on('close', () => {
        session.open = false;
        dispatchers.delete(session);
      });
      const user = {
        id: app.bot.id,
        username: app.bot.username,
        discriminator: '0',
        global_name: null,
        avatar: null,
        bot: true,
        verified: true,
        flags: 0,
      };
      sendOp(
        0,
        {
          v: 10,
          user,
          guilds: app.guilds.map((g) => ({ id: g.id, unavailable: true })),
          session_id: randomBytes(16).toString('hex'),
          resume_gateway_url: gatewayUrl,
          shard: session.shard,
          application: { id: app.id, flags: 0 },
          private_channels: [],
          relationships: [],
          presences: [],
          guild_join_requests: [],
          user_settings: {},
          geo_ordered_rtc_regions: [],
        },
        'READY',
      );
      for (const guild of app.guilds) {
        sendOp(
          0,
          {
            id: guild.id,
            name: guild.name,
            icon: null,
            owner_id: '53908232506183680',
            unavailable: false,
            member_count: 2,
            large: false,
            joined_at: new Date().toISOString(),
            roles: [
              {
                id: guild.id,
                name: '@everyone',
                permissions: '0',
                position: 0,
                color: 0,
                hoist: false,
                managed: false,
                mentionable: false,
                flags: 0,
              },
            ],
            emojis: [],
            stickers: [],
            features: [],
            members: [],
            presences: [],
            voice_states: [],
            stage_instances: [],
            guild_scheduled_events: [],
            channels: guild.channels.map((c, position) => ({
              id: c.id,
              type: 0,
              name: c.name,
              guild_id: guild.id,
              position,
              permission_overwrites: [],
              parent_id: null,
            })),
            threads: guild.threads.map((t) => ({
              id: t.id,
              type: 11,
              name: t.name,
              guild_id: guild.id,
              parent_id: t.parentId,
              owner_id: '53908232506183680',
              message_count: 0,
              member_count: 1,
              thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
            })),
          },
          'GUILD_CREATE',
        );
      }
      dispatchers.set(session, (t, data) => sendOp(0, data, t));
    });
  };

  const route = (method: string, rawPath: string, authorization: string | undefined, body: unknown): unknown => {
    const parts = rawPath.split('/').slice(1).map(decodeURIComponent);
    const path = `/${parts.join('/')}`;
    if (parts[0] === 'webhooks') return webhook(method, parts.slice(1), authorization, (body ?? {}) as Record<string, unknown>);
    const app = appOfToken(authorization);
    if (method === 'GET' && path === '/applications/@me') {
      return {
        id: app.id,
        name: app.name,
        icon: null,
        description: '',
        type: null,
        bot: { id: app.bot.id, username: app.bot.username, discriminator: '0', global_name: null, avatar: null, bot: true },
        summary: '',
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: app.publicKey,
        flags: 0,
        interactions_endpoint_url: app.endpoint ?? null,
        owner: { id: '53908232506183680', username: 'Mason', discriminator: '0', global_name: null, avatar: null },
      };
    }
    if (method === 'GET' && path === '/gateway/bot') {
      return {
        url: gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      };
    }
    if (method === 'GET' && path === '/users/@me') {
      return {
        id: app.bot.id,
        username: app.bot.username,
        discriminator: '0',
        global_name: null,
        avatar: null,
        bot: true,
        verified: true,
        mfa_enabled: true,
        flags: 0,
      };
    }
    if (parts[0] === 'applications' && parts[2] === 'commands' && parts.length === 3) {
      if (parts[1] !== app.id) throw new DiscordError(403, { message: 'Missing Access', code: 50001 });
      if (method === 'GET') return commands.get(app.id) ?? [];
      if (method !== 'PUT') throw notFound();
      if (!Array.isArray(body) || body.length > MAX_COMMANDS)
        throw invalidForm(fieldError('BASE_TYPE_MAX_LENGTH', `Must be ${MAX_COMMANDS} or fewer in length.`));
      const errors = Object.fromEntries(
        (body as Record<string, unknown>[]).flatMap((command, i) => {
          const bad = commandErrors(command);
          return bad ? [[String(i), bad]] : [];
        }),
      );
      if (Object.keys(errors).length > 0) throw invalidForm(errors);
      const registered = (body as Record<string, unknown>[]).map((command) => ({
        id: snowflake(),
        application_id: app.id,
        version: snowflake(),
        type: 1,
        default_member_permissions: null,
        nsfw: false,
        ...command,
      }));
      commands.set(app.id, registered);
      return registered;
    }
    if (method === 'POST' && parts[0] === 'channels' && parts[2] === 'messages' && parts.length === 3) {
      const fields = (body ?? {}) as Record<string, unknown>;
      const errors = messageErrors(fields, CHANNEL_CONTENT_MAX);
      if (errors) throw invalidForm(errors);
      if (typeof fields.content !== 'string' || fields.content === '')
        throw new DiscordError(400, { code: 50006, message: 'Cannot send an empty message' });
      const reference = fields.message_reference as { message_id?: string } | undefined;
      const message: StandInMessage = {
        id: snowflake(),
        channelId: parts[1],
        via: 'channel',
        content: fields.content,
        replyTo: reference?.message_id,
        body: fields,
      };
      messages.push(message);
      return botMessage(app, message, reference ? 19 : 0);
    }
    throw notFound();
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = await readBody(req);
      const authorization = req.headers.authorization;
      const path = url.pathname.replace(/^\/api\/v10/, '');
      let body: unknown;
      try {
        if (!url.pathname.startsWith('/api/v10/')) throw notFound();
        if (!/^DiscordBot \(.+, .+\)/.test(req.headers['user-agent'] ?? '')) {
          throw new DiscordError(400, { code: 0, message: 'a User-Agent of the form DiscordBot ($url, $versionNumber) is required' });
        }
        if (raw !== '') {
          if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
            throw invalidForm(fieldError('CONTENT_TYPE_INVALID', 'Expected "Content-Type" header to be one of {\'application/json\'}.'));
          body = JSON.parse(raw);
        }
        calls.push({ method: req.method ?? 'GET', path, authorization, body });
        send(res, 200, route(req.method ?? 'GET', path, authorization, body));
      } catch (error) {
        if (error instanceof DiscordError) send(res, error.status, error.body);
        else if (error instanceof SyntaxError) send(res, 400, { code: 50109, message: 'The request body contains invalid JSON.' });
        else send(res, 500, { code: 0, message: String(error) });
      }
    })();
  });
  const gateway = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/gateway') return void socket.destroy();
    gateway.handleUpgrade(req, socket, head, (ws) => gatewaySession(ws, url.searchParams));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  return {
    url: `http://127.0.0.1:${port}/api/v10`,
    calls,
    messages,
    interactions,
    commands,
    addApp({ name, id }) {
      const { publicKey, privateKey } = interactionKeys();
      const appId = id ?? snowflake();
      const app: StandInApp = {
        id: appId,
        name,
        publicKey,
        privateKey,
        botToken: `${Buffer.from(appId).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(27).toString('base64url')}`,
        bot: { id: snowflake(), username: name.toLowerCase().replace(/\W+/g, '-') },
        messageContentIntent: true,
        guilds: [],
      };
      apps.set(appId, app);
      return app;
    },
    setInteractionsEndpoint(appId, endpoint) {
      apps.get(appId)!.endpoint = endpoint;
    },
    async interact(appId, payload, options = {}) {
      const app = apps.get(appId);
      if (!app?.endpoint) throw new Error(`application ${appId} has no Interactions Endpoint URL`);
      const signed = signedInteraction(payload, options.privateKey ?? app.privateKey, options.timestamp);
      const started = Date.now();
      const res = await fetch(app.endpoint, {
        method: 'POST',
        headers: { ...signed.headers, 'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)' },
        body: options.body ?? signed.body,
      });
      const ms = Date.now() - started;
      const text = await res.text();
      const response = res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
      interactions.push({ id: String(payload.id), appId, status: res.status, response, ms });
      const type = (response as { type?: unknown } | undefined)?.type;
      // Only an answer in time that creates or defers a message makes the token usable, as on Discord.
      if (res.status === 200 && ms <= ANSWER_WITHIN_MS && (type === 4 || type === 5) && typeof payload.token === 'string') {
        tokens.set(payload.token, {
          appId,
          interactionId: String(payload.id),
          channelId: String(payload.channel_id),
          until: Date.now() + TOKEN_LIFETIME_MS,
          originalId: snowflake(),
        });
      }
      return { status: res.status, body: response };
    },
    resetToken(appId) {
      const app = apps.get(appId)!;
      app.botToken = `${app.botToken}x`;
    },
    gatewaySessions: sessions,
    dispatchMessage(appId, message) {
      const open = [...dispatchers.entries()].filter(([session]) => session.appId === appId);
      for (const [, dispatch] of open) dispatch('MESSAGE_CREATE', message);
      return open.length;
    },
    close: async () => {
      for (const socket of gateway.clients) socket.terminate();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
