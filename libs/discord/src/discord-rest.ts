import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DiscordAPIError, HTTPError, REST } from 'discord.js';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { SdkError } from '@openflows/sdk';

/**
 * `DISCORD_API_URL` (`https://discord.com/api/v10`) split the way discord.js's REST builds URLs:
 * `<api>/v<version><route>`. A URL without a version suffix is taken as the API root, version 10.
 */
export function restBase(apiUrl: string): { api: string; version: string } {
  const match = /^(.*)\/v(\d+)$/.exec(apiUrl);
  return match ? { api: match[1], version: match[2] } : { api: apiUrl, version: '10' };
}

/**
 * A discord.js REST client against `DISCORD_API_URL` (the tests' stand-in, or discord.com), sending
 * `Authorization: Bot <token>` (interaction webhooks are called with `auth: false`). It queues
 * requests under Discord's rate limits (`X-RateLimit-*`, 429 `retry_after`) itself. Retries are kept
 * short: a failed run is retried by the queue with its own backoff.
 * @param sweep whether it sweeps its rate-limit buckets hourly: on for clients kept for a process's
 *   life (DiscordRestService), off for one-off ones, whose sweep timers would otherwise keep them alive.
 */
export function createDiscordRest(config: Pick<AppConfig, 'discord'>, botToken: string, sweep = false): REST {
  const sweepers = sweep ? {} : { hashSweepInterval: 0, handlerSweepInterval: 0 };
  return new REST({ ...restBase(config.discord.apiUrl), retries: 1, timeout: 10_000, ...sweepers }).setToken(botToken);
}

/**
 * REST clients of connected applications' bots, one per application kept for the process's life so
 * that Discord's rate limits are tracked across runs; a new token (a reconnect) gets a new client.
 */
@Injectable()
export class DiscordRestService implements OnApplicationShutdown {
  private readonly clients = new Map<string, { token: string; rest: REST }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The bot's client of application `applicationId` with `botToken`. */
  forBot(applicationId: string, botToken: string): REST {
    const known = this.clients.get(applicationId);
    if (known?.token === botToken) return known.rest;
    if (known) stop(known.rest);
    const rest = createDiscordRest(this.config, botToken, true);
    this.clients.set(applicationId, { token: botToken, rest });
    return rest;
  }

  onApplicationShutdown(): void {
    for (const { rest } of this.clients.values()) stop(rest);
    this.clients.clear();
  }
}

function stop(rest: REST): void {
  rest.clearHashSweeper();
  rest.clearHandlerSweeper();
}

/** The HTTP status of a failed REST call (Discord's answer), undefined when Discord was not reached. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof DiscordAPIError || error instanceof HTTPError ? error.status : undefined;
}

/**
 * A failed REST call as flows see it: REQUEST_FAILED with Discord's status and error body
 * (`{ code, message, errors? }`, see Discord's "Error Messages"), or without them when Discord was not
 * reached (timeout, DNS) or answered something that is not JSON.
 */
export function requestFailed(error: unknown): SdkError {
  if (error instanceof SdkError) return error;
  if (error instanceof DiscordAPIError) {
    return new SdkError('REQUEST_FAILED', `Discord answered ${error.status}: ${error.message}`, {
      status: error.status,
      data: error.rawError,
    });
  }
  if (error instanceof HTTPError) return new SdkError('REQUEST_FAILED', `Discord answered ${error.status}`, { status: error.status });
  return new SdkError('REQUEST_FAILED', `Discord could not be reached: ${error instanceof Error ? error.message : String(error)}`);
}
