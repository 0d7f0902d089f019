/**
 * A local stand-in for the Slack Web API and its OAuth v2 install page, on 127.0.0.1 at a random
 * port. Point `SLACK_API_URL` at `url` (`http://127.0.0.1:<port>/api/`); the platform derives the
 * authorize page (`/oauth/v2/authorize`) from it. Answers are shaped on Slack's published Web API
 * description (Slack's slack_web_openapi_v2.json, MIT): `ok: true` with the
 * documented fields, or `ok: false` with Slack's error strings (`invalid_auth`, `not_authed`,
 * `channel_not_found`, `invalid_code`, …) and HTTP 200, as Slack does. It checks what it receives as
 * Slack does: the authorize page the client id and redirect URL, each method the scope its token was
 * granted (`missing_scope` with `needed` and `provided`, scopes as the description's `slackAuth`),
 * `chat.postMessage` the bot's membership of the channel (`not_in_channel`) and the `thread_ts` format
 * (`invalid_thread_ts`).
 *
 * ```ts
 * const slack = await startSlackStandIn({ clientId: 'cid', clientSecret: 'secret' });
 * slack.addTeam({ id: 'T0ACME', name: 'Acme', botUserId: 'U0BOT', channels: [{ id: 'C0GENERAL', name: 'general' }] });
 * const code = slack.issueCode('T0ACME'); // what Slack appends to the redirect URL
 * // ... run the code under test ...
 * expect(slack.messages).toContainEqual(expect.objectContaining({ channel: 'C0GENERAL', text: 'hi' }));
 * ```
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInChannel {
  id: string;
  name: string;
  is_private?: boolean;
  /** Whether the bot was invited; false: `chat.postMessage` answers `not_in_channel`. Default true. */
  is_member?: boolean;
}

export interface StandInTeam {
  id: string;
  name: string;
  botUserId: string;
  channels: StandInChannel[];
}

/** A message the bot posted with `chat.postMessage` (or changed with `chat.update`). */
export interface PostedMessage {
  teamId: string;
  channel: string;
  text: string;
  ts: string;
  thread_ts?: string;
  /** Message metadata (`{ event_type, event_payload }`), as `chat.postMessage` took it. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/** Every Web API call, in arrival order: method, the bearer token and the decoded arguments. */
export interface RecordedCall {
  method: string;
  token?: string;
  args: Record<string, string>;
}

export interface SlackStandIn {
  /** Web API base with its trailing slash, e.g. `http://127.0.0.1:41234/api/`. */
  url: string;
  /** `http://127.0.0.1:<port>`: the authorize page is `${origin}/oauth/v2/authorize`. */
  origin: string;
  calls: RecordedCall[];
  messages: PostedMessage[];
  updates: PostedMessage[];
  addTeam(team: StandInTeam): void;
  /**
   * A one-time OAuth code that installs the app in `teamId` (as the authorize page would send),
   * granting `scopes`: by default those the last authorize page asked for.
   * @throws Error when no authorize page was opened and no scopes are given.
   */
  issueCode(teamId: string, scopes?: string[]): string;
  /** The scopes of the last authorize page opened (`scope`), as the user saw them. */
  authorizedScopes: string[] | undefined;
  /** The bot token the last install of `teamId` granted. */
  botToken(teamId: string): string | undefined;
  /** Makes every token of a team invalid (`invalid_auth`), as an uninstall does. */
  revoke(teamId: string): void;
  /** With token rotation: the `expires_in` (seconds) of grants from now on. */
  setRotationExpiresIn(seconds: number): void;
  /** Holds the answers to refresh grants (`grant_type=refresh_token`) for `ms` milliseconds; 0 turns it off. */
  delayRefresh(ms: number): void;
  close(): Promise<void>;
}

export interface SlackStandInOptions {
  clientId: string;
  clientSecret: string;
  /**
   * Token rotation on: grants carry `refresh_token` and `expires_in` (these seconds), and
   * `oauth.v2.access` with `grant_type=refresh_token` exchanges a refresh token (once) for new ones.
   */
  rotationExpiresIn?: number;
}

/** What an install granted: the team and the bot scopes. */
interface Grant {
  teamId: string;
  scopes: string[];
}

/** A message `ts` as the description's `defs_ts` gives it: `0123456789.012345`. */
const TS = /^\d{10}\.\d{6}$/;

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** WebClient sends form-encoded arguments; JSON bodies are accepted as Slack accepts them too. */
function decodeArgs(req: IncomingMessage, raw: string): Record<string, string> {
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    const parsed = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function send(res: ServerResponse, body: Record<string, unknown>, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Starts the stand-in; see {@link SlackStandIn}. */
export async function startSlackStandIn(options: SlackStandInOptions): Promise<SlackStandIn> {
  const teams = new Map<string, StandInTeam>();
  /** Codes and tokens, each to the team and the scopes the install granted. */
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant>();
  let authorizedScopes: string[] | undefined;
  let rotationExpiresIn = options.rotationExpiresIn;
  let refreshDelayMs = 0;
  const calls: RecordedCall[] = [];
  const messages: PostedMessage[] = [];
  const updates: PostedMessage[] = [];
  // Message timestamps are seconds since the epoch, as Slack's are (history methods filter on them with `oldest`).
  let clock = Math.floor(Date.now() / 1000);
  const nextTs = () => `${(clock = Math.max(clock + 1, Math.floor(Date.now() / 1000)))}.000100`;

  /** Every scope one of which a method needs (the description's `slackAuth` for it); none: any token. */
  const scopesOf: Record<string, string[]> = {
    'conversations.list': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
    'conversations.info': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
    'chat.postMessage': ['chat:write', 'chat:write:bot'],
    'chat.update': ['chat:write', 'chat:write:bot'],
    'conversations.history': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
    'conversations.replies': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
    'users.info': ['users:read'],
  };

  const methods: Record<string, (args: Record<string, string>, team: StandInTeam) => Record<string, unknown>> = {
    'auth.test': (_args, team) => ({
      ok: true,
      url: `https://${team.name.toLowerCase()}.slack.com/`,
      team: team.name,
      user: 'openflows',
      team_id: team.id,
      user_id: team.botUserId,
      bot_id: `B${team.botUserId.slice(1)}`,
      is_enterprise_install: false,
    }),
    'conversations.list': (_args, team) => ({
      ok: true,
      channels: team.channels.map(channelObject),
      response_metadata: { next_cursor: '' },
    }),
    'conversations.info': (args, team) => {
      const channel = team.channels.find((c) => c.id === args.channel);
      return channel ? { ok: true, channel: channelObject(channel) } : { ok: false, error: 'channel_not_found' };
    },
    'chat.postMessage': (args, team) => {
      const channel = team.channels.find((c) => c.id === args.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (channel.is_member === false) return { ok: false, error: 'not_in_channel' };
      if (!args.text) return { ok: false, error: 'no_text' };
      if (args.thread_ts !== undefined && !TS.test(args.thread_ts)) return { ok: false, error: 'invalid_thread_ts' };
      const message: PostedMessage = { teamId: team.id, channel: args.channel, text: args.text, ts: nextTs() };
      if (args.thread_ts) message.thread_ts = args.thread_ts;
      if (args.metadata) {
        const metadata = JSON.parse(args.metadata) as PostedMessage['metadata'];
        if (typeof metadata?.event_type !== 'string' || typeof metadata.event_payload !== 'object')
          return { ok: false, error: 'invalid_metadata_format' };
        message.metadata = metadata;
      }
      messages.push(message);
      const { teamId: _team, channel: _channel, ...fields } = message;
      return {
        ok: true,
        channel: args.channel,
        ts: message.ts,
        message: { type: 'message', user: team.botUserId, bot_id: `B${team.botUserId.slice(1)}`, ...fields },
      };
    },
    // Newest first, as Slack lists them; metadata only with include_all_metadata.
    'conversations.history': (args, team) => history(team, args, (m) => m.channel === args.channel && !m.thread_ts),
    'conversations.replies': (args, team) =>
      history(team, args, (m) => m.channel === args.channel && (m.thread_ts === args.ts || m.ts === args.ts)),
    'chat.update': (args, team) => {
      const message = messages.find((m) => m.teamId === team.id && m.channel === args.channel && m.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      message.text = args.text;
      updates.push({ ...message });
      return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
    },
    'users.info': (args, team) =>
      args.user === team.botUserId
        ? { ok: true, user: { id: team.botUserId, team_id: team.id, name: 'openflows', is_bot: true } }
        : { ok: true, user: { id: args.user, team_id: team.id, name: args.user.toLowerCase(), is_bot: false } },
  };

  /** The messages of `team` that `which` selects, posted after `args.oldest`, as Slack's history methods answer them. */
  function history(team: StandInTeam, args: Record<string, string>, which: (m: PostedMessage) => boolean): Record<string, unknown> {
    if (!team.channels.some((c) => c.id === args.channel)) return { ok: false, error: 'channel_not_found' };
    const oldest = Number(args.oldest ?? 0);
    const withMetadata = args.include_all_metadata === 'true';
    const listed = messages
      .filter((m) => m.teamId === team.id && which(m) && Number(m.ts) > oldest)
      .reverse()
      .map(({ teamId: _team, channel: _channel, metadata, ...fields }) => ({
        type: 'message',
        user: team.botUserId,
        bot_id: `B${team.botUserId.slice(1)}`,
        ...fields,
        ...(withMetadata && metadata ? { metadata } : {}),
      }));
    return { ok: true, messages: listed, has_more: false, response_metadata: { next_cursor: '' } };
  }

  /** A new bot token for what `granted` names, with a refresh token when rotation is on. */
  const grant = (granted: Grant) => {
    const rotating = rotationExpiresIn !== undefined;
    const token = `${rotating ? 'xoxe.' : ''}xoxb-${granted.teamId}-${randomBytes(12).toString('hex')}`;
    tokens.set(token, granted);
    if (!rotating) return { access_token: token };
    const refresh = `xoxe-1-${randomBytes(12).toString('hex')}`;
    refreshTokens.set(refresh, granted);
    return { access_token: token, refresh_token: refresh, expires_in: rotationExpiresIn };
  };

  const oauthAccess = (args: Record<string, string>): Record<string, unknown> => {
    if (args.client_id !== options.clientId) return { ok: false, error: 'invalid_client_id' };
    if (args.client_secret !== options.clientSecret) return { ok: false, error: 'bad_client_secret' };
    if (args.grant_type === 'refresh_token') {
      const granted = refreshTokens.get(args.refresh_token ?? '');
      if (!granted) return { ok: false, error: 'invalid_refresh_token' };
      refreshTokens.delete(args.refresh_token);
      const team = teams.get(granted.teamId)!;
      return {
        ok: true,
        token_type: 'bot',
        ...grant(granted),
        bot_user_id: team.botUserId,
        app_id: 'A0OPENFLOWS',
        team: { name: team.name, id: team.id },
      };
    }
    const granted = codes.get(args.code ?? '');
    if (!granted) return { ok: false, error: 'invalid_code' };
    codes.delete(args.code);
    const team = teams.get(granted.teamId)!;
    return {
      ok: true,
      ...grant(granted),
      token_type: 'bot',
      scope: granted.scopes.join(','),
      bot_user_id: team.botUserId,
      app_id: 'A0OPENFLOWS',
      team: { name: team.name, id: team.id },
      enterprise: null,
      authed_user: { id: 'U0INSTALLER' },
      is_enterprise_install: false,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/oauth/v2/authorize') {
      const query = url.searchParams;
      // Slack shows an error page for an unknown client or a redirect URL the app does not list.
      const refused =
        query.get('client_id') !== options.clientId ? 'invalid_client_id' : !query.get('redirect_uri') ? 'bad_redirect_uri' : '';
      res.writeHead(refused ? 400 : 200, { 'content-type': 'text/html' });
      if (refused) return void res.end(`<!doctype html><p>Something went wrong: ${refused}</p>`);
      authorizedScopes = (query.get('scope') ?? '').split(',').filter(Boolean);
      return void res.end('<!doctype html><p>Install OpenFlows to your workspace?</p>');
    }
    const method = /^\/api\/([a-z0-9_.]+)$/i.exec(url.pathname)?.[1];
    const args = decodeArgs(req, await readBody(req));
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? args.token;
    calls.push({ method: method ?? url.pathname, token, args });
    if (req.method !== 'POST' || !method) return send(res, { ok: false, error: 'unknown_method' }, 404);
    if (method === 'oauth.v2.access') {
      if (args.grant_type === 'refresh_token' && refreshDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, refreshDelayMs));
      return send(res, oauthAccess(args));
    }
    const handler = methods[method];
    if (!handler) return send(res, { ok: false, error: 'unknown_method' }, 404);
    if (!token) return send(res, { ok: false, error: 'not_authed' });
    const granted = tokens.get(token);
    if (!granted) return send(res, { ok: false, error: 'invalid_auth' });
    const needed = scopesOf[method];
    if (needed && !needed.some((scope) => granted.scopes.includes(scope))) {
      return send(res, { ok: false, error: 'missing_scope', needed: needed[0], provided: granted.scopes.join(',') });
    }
    send(res, handler(args, teams.get(granted.teamId)!));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, { ok: false, error: 'internal_error', detail: String(error) }, 500));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/api/`,
    origin,
    calls,
    messages,
    updates,
    addTeam: (team) => void teams.set(team.id, team),
    issueCode: (teamId, scopes = authorizedScopes) => {
      if (!teams.has(teamId)) throw new Error(`no team ${teamId} in the stand-in`);
      // Slack grants what its authorize page asked the user for: a test skipping the page would get no scopes.
      if (!scopes) throw new Error('open the authorize page (the redirect of /connect/slack) before issuing a code, or pass the scopes');
      const code = `code-${randomBytes(8).toString('hex')}`;
      codes.set(code, { teamId, scopes });
      return code;
    },
    get authorizedScopes() {
      return authorizedScopes;
    },
    botToken: (teamId) => [...tokens].filter(([, granted]) => granted.teamId === teamId).at(-1)?.[0],
    delayRefresh: (ms) => {
      refreshDelayMs = ms;
    },
    setRotationExpiresIn: (seconds) => {
      if (rotationExpiresIn === undefined) throw new Error('token rotation is off in this stand-in');
      rotationExpiresIn = seconds;
    },
    revoke: (teamId) => [...tokens].filter(([, granted]) => granted.teamId === teamId).forEach(([token]) => tokens.delete(token)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A channel as `conversations.info`/`conversations.list` describe it (fields the spec's example has). */
function channelObject(channel: StandInChannel) {
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: !channel.is_private,
    is_group: false,
    is_im: false,
    is_private: channel.is_private ?? false,
    is_archived: false,
    is_member: channel.is_member ?? true,
    created: 1449252889,
    creator: 'W012A3BCD',
  };
}
