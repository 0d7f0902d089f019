/**
 * The whole platform under test: fresh PostgreSQL database (or PGlite), unique Redis prefix, the
 * GitHub, Slack, Telegram, WeChat, Discord and OpenAI stand-ins, and the real api and worker processes wired to
 * them through the `*_URL` configuration. One per test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { bundleFlow } from '@openflows/runtime';
import { generateAppKeys, startGithubStandIn, type GithubStandIn } from './github-stand-in';
import { examplePayload, signedDelivery } from './github-webhooks';
import { startOpenAiStandIn, type OpenAiStandIn } from './openai-stand-in';
import { signedSlackCommand, signedSlackRequest } from './slack-events';
import { startSlackStandIn, type SlackStandIn } from './slack-stand-in';
import { startTelegramStandIn, type TelegramStandIn } from './telegram-stand-in';
import { startWechatStandIn, type WechatStandIn } from './wechat-stand-in';
import { startDiscordStandIn, type DiscordStandIn } from './discord-stand-in';
import { createPostgresDatabase } from './postgres';
import { freePort, startProcess, waitFor, type PlatformProcess } from './processes';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const APP_ID = 424242;
export const INSTALLATION_ID = 777;
/** The stand-in App's slug: its installation page is `${GITHUB_URL}/apps/openflows-test/installations/new`. */
export const APP_SLUG = 'openflows-test';
export const WEBHOOK_SECRET = 'e2e-webhook-secret';
/** A GitHub login the stand-in's installation {@link INSTALLATION_ID} lists as a member: GitHub lets it use the installation. */
export const INSTALLATION_MEMBER = 'octo-admin';
export const SLACK_SIGNING_SECRET = 'e2e-slack-signing-secret';
export const SLACK_CLIENT_ID = '1111.2222';
export const SLACK_CLIENT_SECRET = 'e2e-slack-client-secret';

export interface PlatformOptions {
  /** `separate`: api and worker processes on PostgreSQL; `standalone`: one process on PGlite. */
  mode: 'separate' | 'standalone';
  /** Extra environment for the processes (e.g. RUN_ATTEMPTS). */
  env?: Record<string, string>;
  /** Repositories the stand-in's installation covers, `owner/repo`. */
  repositories: string[];
  /**
   * GitHub sign-in: the OAuth client id and secret, given to the processes (GITHUB_CLIENT_ID/SECRET)
   * and to the GitHub stand-in's token endpoint. Unset: single-user mode.
   */
  oauth?: { clientId: string; clientSecret: string };
}

/** A browser's dashboard session: its `Cookie` header and the CSRF token for state-changing requests. */
export interface BrowserSession {
  cookie: string;
  csrfToken: string;
}

/** The `name=value` pairs a response sets, as one `Cookie` header. */
export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

/** A running platform with its stand-ins. */
export class Platform {
  api!: PlatformProcess;
  worker?: PlatformProcess;
  url!: string;
  github!: GithubStandIn;
  slack!: SlackStandIn;
  telegram!: TelegramStandIn;
  wechat!: WechatStandIn;
  discord!: DiscordStandIn;
  llm!: OpenAiStandIn;
  redis!: Redis;
  readonly prefix = `e2e-${randomBytes(4).toString('hex')}`;
  private env: Record<string, string> = {};
  private database?: { url: string; drop(): Promise<void> };
  /** The processes' DATA_DIR (a fresh temporary folder, removed by {@link stop}). */
  dataDir?: string;

  private constructor(private readonly options: PlatformOptions) {}

  /** The processes' `DATABASE_URL` (a fresh PostgreSQL database) in separate mode; undefined with PGlite. */
  get databaseUrl(): string | undefined {
    return this.database?.url;
  }

  /** Starts stand-ins and processes; call {@link stop} in afterAll. */
  static async start(options: PlatformOptions): Promise<Platform> {
    const platform = new Platform(options);
    await platform.boot();
    return platform;
  }

  private async boot(): Promise<void> {
    const keys = generateAppKeys();
    this.github = await startGithubStandIn({
      appId: APP_ID,
      publicKeyPem: keys.publicKeyPem,
      appSlug: APP_SLUG,
      oauth: this.options.oauth,
    });
    this.github.installations.set(INSTALLATION_ID, {
      account: 'octo-org',
      repository_selection: 'selected',
      repositories: this.options.repositories,
      members: [INSTALLATION_MEMBER],
    });
    this.slack = await startSlackStandIn({ clientId: SLACK_CLIENT_ID, clientSecret: SLACK_CLIENT_SECRET });
    this.telegram = await startTelegramStandIn();
    this.wechat = await startWechatStandIn();
    this.discord = await startDiscordStandIn();
    this.llm = await startOpenAiStandIn();
    this.redis = new Redis(REDIS_URL);
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.dataDir = mkdtempSync(join(tmpdir(), 'openflows-e2e-'));
    if (this.options.mode === 'separate') this.database = await createPostgresDatabase();
    this.env = {
      NODE_ENV: 'test',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DATA_DIR: this.dataDir,
      REDIS_URL,
      REDIS_PREFIX: this.prefix,
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: keys.privateKeyPem,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      GITHUB_API_URL: this.github.url,
      GITHUB_URL: this.github.url,
      SLACK_CLIENT_ID,
      SLACK_CLIENT_SECRET,
      SLACK_SIGNING_SECRET,
      SLACK_API_URL: this.slack.url,
      TELEGRAM_API_URL: this.telegram.url,
      WECHAT_API_URL: this.wechat.url,
      DISCORD_API_URL: this.discord.url,
      OPENAI_BASE_URL: this.llm.url,
      RUN_ATTEMPTS: '2',
      RUN_BACKOFF_MS: '200',
      RUN_PARTITIONS: '4',
      ...(this.database ? { DATABASE_URL: this.database.url } : {}),
      ...(this.options.oauth
        ? { GITHUB_CLIENT_ID: this.options.oauth.clientId, GITHUB_CLIENT_SECRET: this.options.oauth.clientSecret }
        : {}),
      ...this.options.env,
    };
    if (this.options.mode === 'standalone') {
      this.api = await startProcess('standalone', this.env, /OpenFlows listening/);
      return;
    }
    this.api = await startProcess('api', this.env, /api listening/);
    this.worker = await this.startWorker();
  }

  /** Starts a worker process (again, after a crash in a test). */
  async startWorker(env: Record<string, string> = {}): Promise<PlatformProcess> {
    this.worker = await startProcess('worker', { ...this.env, ...env }, /worker started/);
    return this.worker;
  }

  /** Stops the standalone process gracefully and starts it again on the same data. */
  async restart(): Promise<void> {
    await this.api.stop();
    this.api = await startProcess('standalone', this.env, /OpenFlows listening/);
  }

  /** Starts another api process on its own port with changed settings (e.g. an unreachable Redis). */
  async startExtraApi(env: Record<string, string>): Promise<{ process: PlatformProcess; url: string }> {
    const port = await freePort();
    const proc = await startProcess('api', { ...this.env, PORT: String(port), ...env }, /api listening/);
    return { process: proc, url: `http://127.0.0.1:${port}` };
  }

  /** Calls the REST API; returns status and parsed JSON. */
  async request<T = any>(method: string, path: string, body?: unknown, base = this.url): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (this.env.API_TOKEN) headers.authorization = `Bearer ${this.env.API_TOKEN}`;
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Calls the REST API with `Authorization: Bearer <token>` (none when undefined); returns status and parsed JSON. */
  async requestAs<T = any>(token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * Signs `login` in as a browser does: `GET /auth/github` → GitHub's authorize page (where the
   * stand-in's user approves, giving a code) → the callback with code and state, which sets the session
   * cookie. Resolves with the session's cookies and CSRF token (from `GET /auth/session`).
   */
  async signInSession(login: string): Promise<BrowserSession> {
    const start = await fetch(`${this.url}/auth/github`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const code = this.github.issueOAuthCode(login);
    const res = await fetch(`${this.url}/auth/github/callback?code=${code}&state=${encodeURIComponent(state)}`, { redirect: 'manual' });
    if (res.status !== 302) throw new Error(`sign-in of ${login} failed: ${res.status} ${await res.text()}`);
    return this.session(cookiesOf(res));
  }

  /** The CSRF token of a session (and its companion cookie), as the dashboard gets them. */
  async session(cookie: string): Promise<BrowserSession> {
    const res = await fetch(`${this.url}/auth/session`, { headers: { cookie } });
    const body = (await res.json()) as { csrfToken?: string };
    if (res.status !== 200 || !body.csrfToken) throw new Error(`no session: ${res.status} ${JSON.stringify(body)}`);
    return { cookie: `${cookie}; ${cookiesOf(res)}`, csrfToken: body.csrfToken };
  }

  /** Calls a route as the dashboard does: session cookies, and the CSRF header unless `csrf` is false. */
  async requestWithSession<T = any>(
    session: BrowserSession,
    method: string,
    path: string,
    body?: unknown,
    options: { csrf?: boolean } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = { cookie: session.cookie };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.csrf !== false) headers['x-csrf-token'] = session.csrfToken;
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      redirect: 'manual',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Pages and redirects are not JSON; the text is the body.
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** Signs `login` in with GitHub and creates a personal API token on its session, as a CLI user would. */
  async signIn(login: string): Promise<string> {
    const session = await this.signInSession(login);
    const res = await this.requestWithSession<{ token: string }>(session, 'POST', '/api/tokens', { name: 'e2e' });
    if (res.status !== 201) throw new Error(`token for ${login} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  }

  /**
   * Opens `/connect/<provider>` (or `github/app`) as `token`'s user does from the CLI: with a one-time
   * code from `POST /api/connect-codes` (tokens never go in URLs). Resolves with the unfollowed answer.
   */
  async connectStart(token: string | undefined, provider = 'github'): Promise<Response> {
    const issued = await this.requestAs<{ code: string }>(token, 'POST', '/api/connect-codes');
    if (issued.status !== 201) throw new Error(`connect code refused: ${issued.status} ${JSON.stringify(issued.body)}`);
    return fetch(`${this.url}/connect/${provider}?code=${encodeURIComponent(issued.body.code)}`, { redirect: 'manual' });
  }

  /**
   * Connects the App's installation `installationId` as a browser does once `GET /connect/github`
   * answered `start` (a redirect to the installation page, whose `state` GitHub hands on): GitHub
   * calls the Setup URL; with sign-in on the platform sends the browser on to GitHub's authorize page
   * (which the stand-in checks), where `login` approves, and GitHub calls the callback again with a
   * code. `cookie` is the browser's. Resolves with the last answer (a 200 page, a 302 to the dashboard, 4xx).
   */
  async connectInstallation(
    start: Response,
    installationId = INSTALLATION_ID,
    options: { login?: string; setupAction?: string; cookie?: string } = {},
  ): Promise<Response> {
    if (start.status !== 302) throw new Error(`connect start failed: ${start.status} ${await start.text()}`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const headers: Record<string, string> = options.cookie ? { cookie: options.cookie } : {};
    const callback = `${this.url}/connect/github/callback`;
    const action = options.setupAction ?? 'install';
    const setup = await fetch(`${callback}?installation_id=${installationId}&setup_action=${action}&state=${encodeURIComponent(state)}`, {
      redirect: 'manual',
      headers,
    });
    const authorize = setup.status === 302 ? setup.headers.get('location')! : '';
    if (!authorize.startsWith(`${this.github.url}/login/oauth/authorize`)) return setup;
    const page = await fetch(authorize);
    if (page.status !== 200) throw new Error(`GitHub's authorize page refused ${authorize}: ${page.status}`);
    const code = this.github.issueOAuthCode(options.login ?? INSTALLATION_MEMBER);
    const claim = new URL(authorize).searchParams.get('state')!;
    return fetch(`${callback}?code=${code}&state=${encodeURIComponent(claim)}`, { redirect: 'manual', headers });
  }

  /** Bundles a flow folder and deploys it through `POST /api/flows`. */
  async deploy(folder: string, env: Record<string, string>): Promise<any> {
    const { name, code } = await bundleFlow(folder);
    const res = await this.request('POST', '/api/flows', { name, code, env });
    if (res.status !== 201) throw new Error(`deploy failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /**
   * Installs the App as GitHub reports it: a signed `installation.created` delivery (GitHub's example
   * payload) for the stand-in's installation {@link INSTALLATION_ID}, its account and repositories;
   * resolves once the worker has recorded the connection. Flows deployed afterwards on those
   * repositories are `running` rather than `unregistered`.
   */
  async installApp(): Promise<void> {
    const installation = this.github.installations.get(INSTALLATION_ID)!;
    const payload = examplePayload('installation', 'created');
    Object.assign(payload.installation, { id: INSTALLATION_ID, repository_selection: installation.repository_selection });
    payload.installation.account.login = installation.account;
    payload.repositories = installation.repositories.map((fullName) => ({
      ...payload.repositories[0],
      name: fullName.split('/')[1],
      full_name: fullName,
    }));
    const res = await this.deliver('installation', payload);
    if (res.status !== 202) throw new Error(`installation delivery failed: ${res.status} ${JSON.stringify(res.body)}`);
    await waitFor('the installation to be connected', async () =>
      (await this.request<{ externalId: string; status: string }[]>('GET', '/api/connections')).body.some(
        (c) => c.externalId === String(INSTALLATION_ID) && c.status === 'active',
      ),
    );
  }

  /** Stores the LLM key secret pointing at the OpenAI stand-in. */
  async putLlmKey(name: string): Promise<void> {
    const res = await this.request('PUT', `/api/secrets/${name}`, {
      value: 'sk-test-0123456789abcdef',
      baseURL: this.llm.url,
      model: 'gpt-4o-mini',
    });
    if (res.status !== 200) throw new Error(`secret failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /**
   * Posts a webhook delivery signed as GitHub signs it; with `hookId`, as the repository webhook of
   * that id delivers it (see `signedDelivery`).
   */
  async deliver(
    event: string,
    payload: unknown,
    options: { deliveryId?: string; secret?: string; base?: string; hookId?: string | number } = {},
  ): Promise<{ status: number; body: any; deliveryId: string }> {
    const { headers, body } = await signedDelivery({
      event,
      payload,
      secret: options.secret ?? WEBHOOK_SECRET,
      deliveryId: options.deliveryId,
      hookId: options.hookId,
    });
    const res = await fetch(`${options.base ?? this.url}/webhooks/github`, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, deliveryId: headers['X-GitHub-Delivery'] };
  }

  /**
   * Posts a Slack Events API request signed as Slack signs it; `timestamp` (seconds) and `secret`
   * override the signing, `headers` adds some (e.g. `X-Slack-Retry-Num`).
   */
  async deliverSlack(
    body: unknown,
    options: { timestamp?: number; secret?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: any }> {
    const signed = signedSlackRequest(body, options.secret ?? SLACK_SIGNING_SECRET, options.timestamp);
    const res = await fetch(`${this.url}/webhooks/slack/events`, {
      method: 'POST',
      headers: { ...signed.headers, ...options.headers },
      body: signed.body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * Posts a slash command to `/webhooks/slack/commands` as Slack does (form fields from `slashCommand`,
   * signed); `secret` overrides the signing secret. Resolves with the status and the raw body.
   */
  async deliverSlackCommand(fields: Record<string, string>, options: { secret?: string } = {}): Promise<{ status: number; body: string }> {
    const signed = signedSlackCommand(fields, options.secret ?? SLACK_SIGNING_SECRET);
    const res = await fetch(`${this.url}/webhooks/slack/commands`, { method: 'POST', headers: signed.headers, body: signed.body });
    return { status: res.status, body: await res.text() };
  }

  /** A flow's runs, newest first. */
  async runs(flow: string): Promise<any[]> {
    const res = await this.request('GET', `/api/flows/${flow}/runs`);
    return res.body;
  }

  /** Processes' output, for failure messages. */
  output(): string {
    return [this.api, this.worker]
      .filter(Boolean)
      .map((p) => `--- ${p!.name}\n${p!.output()}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all([this.api?.stop(), this.worker?.stop()]);
    await Promise.all([
      this.github?.close(),
      this.slack?.close(),
      this.telegram?.close(),
      this.wechat?.close(),
      this.discord?.close(),
      this.llm?.close(),
    ]);
    const keys = await this.redis.keys(`${this.prefix}:*`);
    if (keys.length > 0) await this.redis.del(...keys);
    this.redis.disconnect();
    await this.database?.drop();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
