import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';

/** The problems `loadConfig(env)` reports, or a failure when it accepts `env`. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const productionEnv = (overrides: Record<string, string | undefined> = {}) => ({
  NODE_ENV: 'production',
  MASTER_KEY: 'a'.repeat(64),
  API_TOKEN: 'a-long-enough-api-token',
  ...overrides,
});

describe('loadConfig', () => {
  it('keeps PUBLIC_URL without a trailing slash, so paths can be appended', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://flows.example.com/' }).publicUrl).toBe('https://flows.example.com');
  });

  it('gives every setting its default for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      logLevel: 'info',
      dataDir: './.data',
      databaseUrl: undefined,
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'openflows' },
      masterKey: undefined,
      apiToken: undefined,
      auth: { sessionTtlMs: 14 * 24 * 3600_000, adminLogins: [] },
      github: { apiUrl: 'https://api.github.com', url: 'https://github.com', appId: undefined },
      slack: { apiUrl: 'https://slack.com/api/' },
      llm: { baseUrl: 'https://api.openai.com/v1', maxRetries: 3, conversationTtlSeconds: 600 },
      runs: { attempts: 3, backoffMs: 1000, partitions: 8, lockMs: 30_000 },
      flowSources: { allowLocal: false, buildMemoryMb: 1024, buildTimeoutMs: 300_000 },
      flows: {
        limits: { cpuMs: 2000, wallMs: 120_000, memoryMb: 64 },
        isolates: 64,
        ownerConcurrency: 4,
        egress: { allow: [], maxRequests: 50, maxResponseBytes: 5 * 1024 * 1024, timeoutMs: 10_000 },
      },
      endpoints: { timeoutMs: 30_000, bodyLimitBytes: 1024 * 1024 },
    });
  });

  it("reads the endpoints' timeout and body limit, and refuses a zero", () => {
    expect(loadConfig({ ENDPOINT_TIMEOUT_MS: '5000', ENDPOINT_BODY_LIMIT_BYTES: '2048' }).endpoints).toEqual({
      timeoutMs: 5000,
      bodyLimitBytes: 2048,
    });
    expect(() => loadConfig({ ENDPOINT_TIMEOUT_MS: '0' })).toThrow(/ENDPOINT_TIMEOUT_MS/);
  });

  it('allows local flow sources only for FLOW_SOURCES_ALLOW_LOCAL=true, and refuses other values', () => {
    expect(loadConfig({ FLOW_SOURCES_ALLOW_LOCAL: 'true' }).flowSources.allowLocal).toBe(true);
    expect(loadConfig({ FLOW_SOURCES_ALLOW_LOCAL: 'false' }).flowSources.allowLocal).toBe(false);
    expect(() => loadConfig({ FLOW_SOURCES_ALLOW_LOCAL: 'yes' })).toThrow(/FLOW_SOURCES_ALLOW_LOCAL/);
  });

  it('reads the limits of flow builds and refuses a heap too small to run npm', () => {
    const config = loadConfig({ FLOW_BUILD_MEMORY_MB: '512', FLOW_BUILD_TIMEOUT_MS: '60000' });
    expect(config.flowSources).toMatchObject({ buildMemoryMb: 512, buildTimeoutMs: 60_000 });
    expect(problemsOf({ FLOW_BUILD_MEMORY_MB: '16', FLOW_BUILD_TIMEOUT_MS: '0' })).toEqual([
      expect.stringMatching(/^FLOW_BUILD_MEMORY_MB: /),
      expect.stringMatching(/^FLOW_BUILD_TIMEOUT_MS: /),
    ]);
  });

  it('coerces numbers, derives the public URL from the port and trims trailing slashes of API URLs', () => {
    const config = loadConfig({
      PORT: '8080',
      RUN_PARTITIONS: '16',
      LLM_MAX_RETRIES: '0',
      GITHUB_API_URL: 'http://127.0.0.1:4010/',
      OPENAI_BASE_URL: 'http://127.0.0.1:4020/v1/',
    });
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.runs.partitions).toBe(16);
    expect(config.llm.maxRetries).toBe(0);
    expect(config.github.apiUrl).toBe('http://127.0.0.1:4010');
    expect(config.llm.baseUrl).toBe('http://127.0.0.1:4020/v1');
  });

  it('reads admin GitHub logins as a lower-case list and the session lifetime in hours', () => {
    const config = loadConfig({ ADMIN_GITHUB_LOGINS: ' Octocat, hubot ,', SESSION_TTL_HOURS: '2' });
    expect(config.auth).toEqual({ adminLogins: ['octocat', 'hubot'], sessionTtlMs: 2 * 3600_000 });
  });

  it('ends SLACK_API_URL with one slash, as WebClient appends method names to it', () => {
    expect(loadConfig({ SLACK_API_URL: 'http://127.0.0.1:4030/api' }).slack.apiUrl).toBe('http://127.0.0.1:4030/api/');
    expect(loadConfig({ SLACK_API_URL: 'http://127.0.0.1:4030/api/' }).slack.apiUrl).toBe('http://127.0.0.1:4030/api/');
  });

  it('treats empty strings of optional settings as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', PUBLIC_URL: '', API_TOKEN: '', MASTER_KEY: '' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.apiToken).toBeUndefined();
    expect(config.masterKey).toBeUndefined();
  });

  it('names every malformed variable at once, one line each', () => {
    const problems = problemsOf({
      PORT: '70000',
      REDIS_URL: 'not a url',
      REDIS_PREFIX: 'has:colon',
      LOG_LEVEL: 'loud',
      API_TOKEN: 'short',
      RUN_PARTITIONS: '0',
    });
    expect(problems).toHaveLength(6);
    for (const variable of ['PORT', 'REDIS_URL', 'REDIS_PREFIX', 'LOG_LEVEL', 'API_TOKEN', 'RUN_PARTITIONS']) {
      expect(problems.filter((p) => p.startsWith(`${variable}: `))).toHaveLength(1);
    }
    expect(problems.every((p) => !p.includes('\n'))).toBe(true);
  });

  it('puts the problems into the error message', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'nope' })).toThrow(/Invalid configuration: .*PORT: .*DATABASE_URL: /);
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig(productionEnv());
    expect(config.env).toBe('production');
    expect(config.apiToken).toBe('a-long-enough-api-token');
  });

  it('requires MASTER_KEY and API_TOKEN in production', () => {
    const problems = problemsOf(productionEnv({ MASTER_KEY: undefined, API_TOKEN: undefined }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^MASTER_KEY: required in production/);
    expect(problems[1]).toMatch(/^API_TOKEN: required in production/);
  });

  it('requires MASTER_KEY alone in production when the token is given', () => {
    expect(problemsOf(productionEnv({ MASTER_KEY: '' }))).toEqual([expect.stringMatching(/^MASTER_KEY: /)]);
  });

  it('needs neither outside production', () => {
    expect(() => loadConfig({ NODE_ENV: 'test' })).not.toThrow();
  });

  it('requires the App private key when the App id is set', () => {
    expect(problemsOf({ GITHUB_APP_ID: '123' })).toEqual([expect.stringMatching(/^GITHUB_APP_PRIVATE_KEY: /)]);
  });

  it('restores the newlines of a PEM key given on one line', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\nAbCd==\\n-----END RSA PRIVATE KEY-----\\n';
    const config = loadConfig({ GITHUB_APP_ID: '123', GITHUB_APP_PRIVATE_KEY: pem });
    expect(config.github.privateKey).toBe('-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbCd==\n-----END RSA PRIVATE KEY-----\n');
    expect(config.github.privateKey).not.toContain('\\n');
  });

  it('leaves a PEM key with real newlines as it is', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n';
    expect(loadConfig({ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: pem }).github.privateKey).toBe(pem);
  });
});

describe('loadConfig with a GitHub App created from the manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'openflows-config-'));
    const app = { id: 31, slug: 'mine', pem: 'PEM', webhook_secret: 'hooksecret', client_id: 'Iv1', client_secret: 'cs' };
    writeFileSync(join(dir, 'github-app.json'), JSON.stringify(app), { mode: 0o600 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fills the App settings the environment leaves unset, but not the sign-in client', () => {
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.github).toMatchObject({ appId: '31', privateKey: 'PEM', webhookSecret: 'hooksecret' });
    expect(config.github.clientId).toBeUndefined();
  });

  it('lets the environment win', () => {
    const config = loadConfig({ DATA_DIR: dir, GITHUB_APP_ID: '7', GITHUB_APP_PRIVATE_KEY: 'ENV', GITHUB_WEBHOOK_SECRET: 'env' });
    expect(config.github).toMatchObject({ appId: '7', privateKey: 'ENV', webhookSecret: 'env' });
  });
});
