import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : value));

const url = z.url();
const positiveInt = z.coerce.number().int().positive();

/** A PEM key given in one environment line has its newlines escaped as `\n`; restore them. */
const pem = optionalText.transform((value) => value?.replace(/\\n/g, '\n'));

/**
 * Every setting the platform reads, with its default. Names are the documented ones (README, "Configuration");
 * the rest (tuning knobs) are ours and documented in the README's configuration table.
 */
/** Per-run limits of flow code unless configured otherwise (`FLOW_CPU_MS`, `FLOW_WALL_MS`, `FLOW_MEMORY_MB`). */
export const DEFAULT_FLOW_LIMITS: FlowLimits = { cpuMs: 2000, wallMs: 120_000, memoryMb: 64 };

/** Egress limits of a flow's `fetch` unless configured otherwise (`FLOW_FETCH_*`); nothing private allowed. */
export const DEFAULT_EGRESS: EgressConfig = { allow: [], maxRequests: 50, maxResponseBytes: 5 * 1024 * 1024, timeoutMs: 10_000 };

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: optionalText.pipe(url.optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('./.data'),
  DATABASE_URL: optionalText.pipe(url.optional()),
  REDIS_URL: url.default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('openflows'),
  MASTER_KEY: optionalText,
  API_TOKEN: optionalText.pipe(z.string().min(16, 'at least 16 characters').optional()),
  ADMIN_GITHUB_LOGINS: z.string().default(''),
  SESSION_TTL_HOURS: positiveInt.default(14 * 24),
  GITHUB_APP_ID: optionalText,
  GITHUB_APP_PRIVATE_KEY: pem,
  GITHUB_WEBHOOK_SECRET: z.string().min(1, 'must not be empty when set').optional(),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GITHUB_API_URL: url.default('https://api.github.com'),
  GITHUB_URL: url.default('https://github.com'),
  SLACK_CLIENT_ID: optionalText,
  SLACK_CLIENT_SECRET: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_API_URL: url.default('https://slack.com/api/'),
  TELEGRAM_API_URL: url.default('https://api.telegram.org'),
  DISCORD_API_URL: url.default('https://discord.com/api/v10'),
  DISCORD_GATEWAY: z
    .enum(['0', '1', 'false', 'true'])
    .default('0')
    .transform((value) => value === '1' || value === 'true'),
  LARK_API_URL: url.optional(),
  WECHAT_API_URL: url.default('https://api.weixin.qq.com'),
  OPENAI_BASE_URL: url.default('https://api.openai.com/v1'),
  CONVERSATION_TTL_SECONDS: positiveInt.default(600),
  RUN_ATTEMPTS: positiveInt.default(3),
  RUN_BACKOFF_MS: positiveInt.default(1000),
  RUN_PARTITIONS: positiveInt.max(256).default(8),
  RUN_LOCK_MS: positiveInt.default(30_000),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).default(3),
  FLOW_SOURCES_ALLOW_LOCAL: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  FLOW_BUILD_MEMORY_MB: positiveInt.min(64).default(1024),
  FLOW_BUILD_TIMEOUT_MS: positiveInt.default(300_000),
  FLOW_CPU_MS: positiveInt.default(DEFAULT_FLOW_LIMITS.cpuMs),
  FLOW_WALL_MS: positiveInt.default(DEFAULT_FLOW_LIMITS.wallMs),
  FLOW_MEMORY_MB: positiveInt.min(8).default(DEFAULT_FLOW_LIMITS.memoryMb),
  FLOW_ISOLATES: positiveInt.default(64),
  FLOW_OWNER_CONCURRENCY: positiveInt.default(4),
  FLOW_EGRESS_ALLOW: z.string().default(''),
  FLOW_FETCH_MAX_REQUESTS: positiveInt.default(DEFAULT_EGRESS.maxRequests),
  FLOW_FETCH_MAX_BYTES: positiveInt.default(DEFAULT_EGRESS.maxResponseBytes),
  FLOW_FETCH_TIMEOUT_MS: positiveInt.default(DEFAULT_EGRESS.timeoutMs),
  ENDPOINT_TIMEOUT_MS: positiveInt.default(30_000),
  ENDPOINT_BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
});

type Env = z.infer<typeof schema>;

/**
 * Whether users sign in with GitHub OAuth (`GITHUB_CLIENT_ID` and `GITHUB_CLIENT_SECRET` both set).
 * Without it the platform runs in single-user mode: everything belongs to one built-in local user.
 */
export function signInEnabled(config: Pick<AppConfig, 'github'>): boolean {
  return Boolean(config.github.clientId && config.github.clientSecret);
}

/** The typed configuration, parsed once at boot and passed to whatever needs it. */
export interface AppConfig {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  databaseUrl?: string;
  redis: { url: string; prefix: string };
  masterKey?: string;
  apiToken?: string;
  /** Dashboard sessions: lifetime in milliseconds; GitHub logins that may open the operators' pages (lower-case). */
  auth: { sessionTtlMs: number; adminLogins: string[] };
  github: {
    appId?: string;
    privateKey?: string;
    webhookSecret?: string;
    clientId?: string;
    clientSecret?: string;
    apiUrl: string;
    url: string;
  };
  slack: { clientId?: string; clientSecret?: string; signingSecret?: string; apiUrl: string };
  /**
   * Base URLs of the chat apps' APIs (no trailing slash), overridable like GITHUB_API_URL for proxies
   * and the tests' stand-ins. `lark.apiUrl` unset: each connection's domain decides
   * (`https://open.feishu.cn` or `https://open.larksuite.com`).
   */
  telegram: { apiUrl: string };
  /** `gateway`: this process holds Gateway connections of connected Discord bots (`DISCORD_GATEWAY=1`, workers). */
  discord: { apiUrl: string; gateway: boolean };
  lark: { apiUrl?: string };
  wechat: { apiUrl: string };
  llm: { baseUrl: string; maxRetries: number; conversationTtlSeconds: number };
  runs: { attempts: number; backoffMs: number; partitions: number; lockMs: number };
  /**
   * Flow builds: `allowLocal` lets `file://` URLs and local paths through as git sources (tests, single
   * machines); the process that installs and bundles a flow gets a heap of `buildMemoryMb` (MB) and is
   * killed after `buildTimeoutMs` (ms).
   */
  flowSources: { allowLocal: boolean; buildMemoryMb: number; buildTimeoutMs: number };
  flows: FlowsConfig;
  /**
   * HTTP endpoint flows (`/f/<key>/…`): how long a caller waits for the flow's response before a 504
   * (`ENDPOINT_TIMEOUT_MS`), and the largest request body taken (`ENDPOINT_BODY_LIMIT_BYTES`, else 413).
   */
  endpoints: { timeoutMs: number; bodyLimitBytes: number };
}

/** Per-run limits of flow code; a flow's package.json (`openflows.limits`) may only tighten them. */
export interface FlowLimits {
  /** CPU time the flow's own code may use in one run (ms). */
  cpuMs: number;
  /** Wall time of one run, awaited SDK calls included (ms). */
  wallMs: number;
  /** Heap of the flow's isolate (MB). */
  memoryMb: number;
}

/**
 * Outbound HTTP of flows (`fetch` in the SDK) and of server-side git clones. Loopback, private,
 * link-local, CGNAT, multicast and metadata addresses are refused unless `allow` names them.
 */
export interface EgressConfig {
  /** `host:port` patterns let through whatever they resolve to (`FLOW_EGRESS_ALLOW`, comma-separated; `*` for any port). */
  allow: string[];
  /** Requests one run may make. */
  maxRequests: number;
  /** Largest response body one request may bring back (bytes). */
  maxResponseBytes: number;
  /** Time one request may take, redirects included (ms). */
  timeoutMs: number;
}

/** How flow code is run: limits, the isolate cache, per-owner fairness, egress. */
export interface FlowsConfig {
  limits: FlowLimits;
  /** Isolates kept warm per process (one per deployment, least recently used dropped first). */
  isolates: number;
  /** Runs of one owner executing at once per worker process. */
  ownerConcurrency: number;
  egress: EgressConfig;
}

/** `FLOW_EGRESS_ALLOW`: comma- or space-separated `host:port` patterns, lower-cased. */
export function egressAllowList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
}

/** Thrown when the environment does not describe a valid configuration; lists every variable at fault. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

/**
 * The credentials of a GitHub App created from the manifest (`/connect/github/app`), as GitHub's
 * `POST /app-manifests/{code}/conversions` returns them; kept in `${DATA_DIR}/github-app.json`.
 */
export interface StoredGithubApp {
  id: number;
  slug: string;
  pem: string;
  webhook_secret: string;
  client_id: string;
  client_secret: string;
}

/** Where a GitHub App created from the manifest is kept: `<dataDir>/github-app.json` (mode 0600). */
export function githubAppFile(dataDir: string): string {
  return join(dataDir, 'github-app.json');
}

/**
 * The environment with the GitHub App settings it leaves unset taken from `github-app.json` in
 * `DATA_DIR` (when that file exists): `GITHUB_APP_ID`, `GITHUB_APP_PRIVATE_KEY` and
 * `GITHUB_WEBHOOK_SECRET`. The App's OAuth client id and secret stay in the file: setting
 * `GITHUB_CLIENT_ID`/`SECRET` turns on GitHub sign-in, a choice the operator makes explicitly.
 * @throws ConfigError when the file exists but is not JSON.
 */
function withStoredGithubApp(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const file = githubAppFile(env.DATA_DIR || './.data');
  if (!existsSync(file)) return env;
  let app: Partial<StoredGithubApp>;
  try {
    app = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredGithubApp>;
  } catch {
    throw new ConfigError([`${file}: not valid JSON (delete it or create the GitHub App again)`]);
  }
  const unset = (name: string) => env[name] === undefined || env[name] === '';
  return {
    ...env,
    ...(unset('GITHUB_APP_ID') && app.id !== undefined ? { GITHUB_APP_ID: String(app.id) } : {}),
    ...(unset('GITHUB_APP_PRIVATE_KEY') && app.pem ? { GITHUB_APP_PRIVATE_KEY: app.pem } : {}),
    ...(env.GITHUB_WEBHOOK_SECRET === undefined && app.webhook_secret ? { GITHUB_WEBHOOK_SECRET: app.webhook_secret } : {}),
  };
}

/**
 * Parses environment variables (names as in the README's configuration table) into an {@link AppConfig}; GitHub App settings
 * the environment leaves unset come from `${DATA_DIR}/github-app.json` when it exists.
 * @param env usually `process.env`; tests pass their own.
 * @throws ConfigError naming each malformed variable, or a setting production cannot run without.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = schema.safeParse(withStoredGithubApp(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.NODE_ENV === 'production') {
    if (!e.MASTER_KEY) problems.push('MASTER_KEY: required in production (32 bytes, base64 or hex)');
    if (!e.API_TOKEN) problems.push('API_TOKEN: required in production, it guards /api');
  }
  if (e.GITHUB_APP_ID && !e.GITHUB_APP_PRIVATE_KEY) {
    problems.push('GITHUB_APP_PRIVATE_KEY: required when GITHUB_APP_ID is set');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    // Without a trailing slash, so that callers can append paths.
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    masterKey: e.MASTER_KEY,
    apiToken: e.API_TOKEN,
    auth: {
      sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
      adminLogins: e.ADMIN_GITHUB_LOGINS.split(',')
        .map((login) => login.trim().toLowerCase())
        .filter(Boolean),
    },
    github: {
      appId: e.GITHUB_APP_ID,
      privateKey: e.GITHUB_APP_PRIVATE_KEY,
      webhookSecret: e.GITHUB_WEBHOOK_SECRET,
      clientId: e.GITHUB_CLIENT_ID,
      clientSecret: e.GITHUB_CLIENT_SECRET,
      apiUrl: e.GITHUB_API_URL.replace(/\/$/, ''),
      url: e.GITHUB_URL.replace(/\/$/, ''),
    },
    slack: {
      clientId: e.SLACK_CLIENT_ID,
      clientSecret: e.SLACK_CLIENT_SECRET,
      signingSecret: e.SLACK_SIGNING_SECRET,
      // WebClient appends method names to it, so it must end in a slash.
      apiUrl: e.SLACK_API_URL.replace(/\/?$/, '/'),
    },
    telegram: { apiUrl: e.TELEGRAM_API_URL.replace(/\/$/, '') },
    discord: { apiUrl: e.DISCORD_API_URL.replace(/\/$/, ''), gateway: e.DISCORD_GATEWAY },
    lark: { apiUrl: e.LARK_API_URL?.replace(/\/$/, '') },
    wechat: { apiUrl: e.WECHAT_API_URL.replace(/\/$/, '') },
    llm: {
      baseUrl: e.OPENAI_BASE_URL.replace(/\/$/, ''),
      maxRetries: e.LLM_MAX_RETRIES,
      conversationTtlSeconds: e.CONVERSATION_TTL_SECONDS,
    },
    runs: {
      attempts: e.RUN_ATTEMPTS,
      backoffMs: e.RUN_BACKOFF_MS,
      partitions: e.RUN_PARTITIONS,
      lockMs: e.RUN_LOCK_MS,
    },
    flowSources: {
      allowLocal: e.FLOW_SOURCES_ALLOW_LOCAL,
      buildMemoryMb: e.FLOW_BUILD_MEMORY_MB,
      buildTimeoutMs: e.FLOW_BUILD_TIMEOUT_MS,
    },
    flows: {
      limits: { cpuMs: e.FLOW_CPU_MS, wallMs: e.FLOW_WALL_MS, memoryMb: e.FLOW_MEMORY_MB },
      isolates: e.FLOW_ISOLATES,
      ownerConcurrency: e.FLOW_OWNER_CONCURRENCY,
      egress: {
        allow: egressAllowList(e.FLOW_EGRESS_ALLOW),
        maxRequests: e.FLOW_FETCH_MAX_REQUESTS,
        maxResponseBytes: e.FLOW_FETCH_MAX_BYTES,
        timeoutMs: e.FLOW_FETCH_TIMEOUT_MS,
      },
    },
    endpoints: { timeoutMs: e.ENDPOINT_TIMEOUT_MS, bodyLimitBytes: e.ENDPOINT_BODY_LIMIT_BYTES },
  };
}

/** A URL with its password replaced by `***`, for log lines (REDIS_URL and DATABASE_URL may carry one). */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
