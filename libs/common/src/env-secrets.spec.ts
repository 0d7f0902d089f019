import { loadConfig } from './config';
import { dropSecretsFromEnv } from './env-secrets';

describe('dropSecretsFromEnv', () => {
  it('deletes every secret the configuration took and leaves the other variables', () => {
    const env: Record<string, string | undefined> = {
      PATH: '/usr/bin',
      PORT: '4000',
      GITHUB_APP_ID: '42',
      MASTER_KEY: 'a'.repeat(64),
      API_TOKEN: 'a-long-enough-api-token',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----',
      GITHUB_WEBHOOK_SECRET: 'webhook-secret',
      GITHUB_CLIENT_SECRET: 'client-secret',
      SLACK_CLIENT_SECRET: 'slack-client-secret',
      SLACK_SIGNING_SECRET: 'slack-signing-secret',
      DATABASE_URL: 'postgres://openflows:db-password@127.0.0.1:5432/openflows',
      REDIS_URL: 'redis://:redis-password@127.0.0.1:6379',
    };
    const config = loadConfig(env);
    dropSecretsFromEnv(env);
    expect(env).toEqual({ PATH: '/usr/bin', PORT: '4000', GITHUB_APP_ID: '42' });
    // The configuration read before keeps them.
    expect(config.masterKey).toBe('a'.repeat(64));
    expect(config.databaseUrl).toContain('db-password');
    expect(config.redis.url).toContain('redis-password');
  });

  it('works on process.env itself, which boot passes', () => {
    process.env.MASTER_KEY = 'b'.repeat(64);
    process.env.OPENFLOWS_DROP_SECRETS_SPEC = 'kept';
    try {
      dropSecretsFromEnv(process.env);
      expect('MASTER_KEY' in process.env).toBe(false);
      expect(process.env.OPENFLOWS_DROP_SECRETS_SPEC).toBe('kept');
    } finally {
      delete process.env.OPENFLOWS_DROP_SECRETS_SPEC;
    }
  });
});
