import { config as readDotenv } from 'dotenv';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { dropSecretsFromEnv } from './env-secrets';

/**
 * Reads `.env` (development convenience; real environment variables win) and parses the
 * configuration, then deletes the secrets it took from `process.env` (see {@link dropSecretsFromEnv}):
 * the processes that call this host flow isolates. On a bad value it prints one line per variable at
 * fault and exits with status 1.
 */
export function bootConfig(): AppConfig {
  readDotenv({ quiet: true });
  try {
    const config = loadConfig(process.env);
    dropSecretsFromEnv(process.env);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`configuration error: ${problem}\n`);
    process.exit(1);
  }
}

/** Runs a process's main function; a failure to start is printed and ends the process with status 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
