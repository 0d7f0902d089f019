/**
 * Environment variables whose values are secrets, or may carry credentials (`postgres://user:password@…`,
 * `redis://:password@…`). {@link loadConfig} keeps what it needs of them in the configuration object.
 */
export const SECRET_VARIABLES = [
  'MASTER_KEY',
  'API_TOKEN',
  'GITHUB_APP_PRIVATE_KEY',
  'GITHUB_WEBHOOK_SECRET',
  'GITHUB_CLIENT_SECRET',
  'SLACK_CLIENT_SECRET',
  'SLACK_SIGNING_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
] as const;

/**
 * Deletes {@link SECRET_VARIABLES} from `env` (in place). Called once the configuration has been read:
 * processes that host flow isolates then hold no secret in `process.env`, where flow code that escaped
 * its sandbox, a dependency or a child process spawned without an explicit environment would find it.
 * Everything later reads the configuration object instead.
 * @param env usually `process.env`.
 */
export function dropSecretsFromEnv(env: Record<string, string | undefined>): void {
  for (const name of SECRET_VARIABLES) delete env[name];
}
