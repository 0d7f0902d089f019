import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, decrypt, encrypt, loadMasterKey, redisKey, type AppConfig } from '@openflows/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { SdkError } from '@openflows/sdk';
import type { SlackInnerEvent } from './envelope';
import { createWebClient } from './web-client';

/** What `oauth.v2.access` grants a workspace, kept sealed in `connections.credentials`. */
export interface SlackCredentials {
  botToken: string;
  /** Present when the app has token rotation on; then `expiresAt` (ms since the epoch) is too. */
  refreshToken?: string;
  expiresAt?: number;
}

/** The workspace a run acts in, with its usable bot token. */
export interface SlackWorkspace {
  teamId: string;
  teamName: string;
  botUserId: string | null;
  botToken: string;
  /** The user who connected the workspace: only that user's flows receive its events. */
  ownerId: string | null;
}

/** Refresh a rotating token this long before it expires (ms), so no call races its expiry. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** How long a refresh may hold the workspace's lock (ms): past the WebClient's 10 s timeout and one retry. */
const REFRESH_LOCK_TTL_MS = 25_000;
/** How often a process waiting for another's refresh reads the stored credentials again (ms). */
const REFRESH_POLL_MS = 100;
/** Deletes the lock only if this process still holds it (its value is our token), as Redis' lock pattern does. */
const RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const expiring = (credentials: SlackCredentials) =>
  Boolean(credentials.refreshToken) && credentials.expiresAt !== undefined && credentials.expiresAt - REFRESH_MARGIN_MS < Date.now();

/**
 * Slack workspace connections: seals and opens their credentials (AES-256-GCM under the master key,
 * bound to the team id), refreshes rotating bot tokens — one process at a time per workspace, under a
 * Redis lock, since Slack spends a refresh token on first use —, and applies `app_uninstalled` and
 * `tokens_revoked` events to the connection status.
 */
@Injectable()
export class SlackWorkspacesService {
  private readonly logger = new Logger(SlackWorkspacesService.name);
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.key = loadMasterKey(config);
  }

  /** Stores (or re-activates) a workspace of `ownerId` with its credentials sealed. */
  async save(ownerId: string, teamId: string, teamName: string, botUserId: string, credentials: SlackCredentials): Promise<Connection> {
    return this.connections.upsertWorkspace({ ownerId, teamId, teamName, botUserId, credentials: this.seal(teamId, credentials) });
  }

  /** The connection row of a team, whatever its status. */
  async find(teamId: string): Promise<Connection | undefined> {
    return this.connections.findWorkspace(teamId);
  }

  /**
   * The active workspace with a bot token that is valid now (refreshed first when it rotates and is
   * about to expire).
   * @throws SdkError SLACK_NOT_CONNECTED when the team was never connected or is revoked.
   */
  async workspace(teamId: string): Promise<SlackWorkspace> {
    const connection = await this.connections.findWorkspace(teamId);
    if (!connection || connection.status !== 'active' || !connection.credentials) {
      throw new SdkError('SLACK_NOT_CONNECTED', `Slack workspace ${teamId} is not connected (open /connect/slack to install the app)`);
    }
    let credentials = this.open(teamId, connection.credentials);
    if (expiring(credentials)) credentials = await this.refreshed(teamId, credentials);
    return {
      teamId,
      teamName: connection.accountLogin,
      botUserId: connection.botUserId,
      botToken: credentials.botToken,
      ownerId: connection.ownerId,
    };
  }

  /** Whether {@link apply} handles events of that name. */
  handles(eventName: string): boolean {
    return eventName === 'app_uninstalled' || eventName === 'tokens_revoked';
  }

  /**
   * Marks the workspace revoked on `app_uninstalled`, and on `tokens_revoked` when bot tokens were
   * revoked (user tokens alone leave the bot working). Payloads as in Slack's Events API.
   */
  async apply(teamId: string, event: SlackInnerEvent): Promise<void> {
    if (event.type === 'app_uninstalled') {
      await this.connections.setWorkspaceStatus(teamId, 'revoked', 'app_uninstalled');
    } else if (event.type === 'tokens_revoked' && Array.isArray(event.tokens?.bot) && event.tokens.bot.length > 0) {
      await this.connections.setWorkspaceStatus(teamId, 'revoked', 'tokens_revoked');
    } else {
      return;
    }
    this.logger.log(`Slack workspace ${teamId} revoked (${String(event.type)})`);
  }

  /**
   * Credentials newer than `stale`: refreshed by this process under the workspace's lock
   * (`<prefix>:slack-refresh:<team id>`, SET NX with a TTL, so a crashed holder cannot keep it), or by
   * whichever process holds it, whose stored result this one reads again (a refresh token works once:
   * two refreshes at once would leave one of them with a spent token).
   * @throws Error when no refresh lands within the lock's TTL; what {@link refresh} throws.
   */
  private async refreshed(teamId: string, stale: SlackCredentials): Promise<SlackCredentials> {
    const lock = redisKey(this.config, 'slack-refresh', teamId);
    const holder = randomUUID();
    const deadline = Date.now() + REFRESH_LOCK_TTL_MS;
    for (;;) {
      if ((await this.redis.set(lock, holder, 'PX', REFRESH_LOCK_TTL_MS, 'NX')) === 'OK') {
        try {
          // Another process may have refreshed between our read and the lock.
          const current = (await this.stored(teamId)) ?? stale;
          if (current.refreshToken !== stale.refreshToken) return current;
          return await this.refresh(teamId, stale.refreshToken ?? '');
        } finally {
          await this.redis.eval(RELEASE_LOCK, 1, lock, holder);
        }
      }
      await sleep(REFRESH_POLL_MS);
      const current = await this.stored(teamId);
      if (current && current.refreshToken !== stale.refreshToken) return current;
      if (Date.now() > deadline) throw new Error(`the Slack token of ${teamId} was not refreshed in time by the process holding its lock`);
    }
  }

  /** The stored credentials of a team, if it has any. */
  private async stored(teamId: string): Promise<SlackCredentials | undefined> {
    const sealed = (await this.connections.findWorkspace(teamId))?.credentials;
    return sealed ? this.open(teamId, sealed) : undefined;
  }

  private async refresh(teamId: string, refreshToken: string): Promise<SlackCredentials> {
    const { clientId, clientSecret } = this.config.slack;
    if (!clientId || !clientSecret) throw new SdkError('SLACK_NOT_CONNECTED', 'SLACK_CLIENT_ID/SECRET are needed to refresh the bot token');
    const granted = await createWebClient(this.config).oauth.v2.access({
      client_id: clientId,
      client_secret: clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    if (!granted.access_token) throw new Error('oauth.v2.access returned no access_token on refresh');
    const credentials = credentialsOf(granted);
    await this.connections.setWorkspaceCredentials(teamId, this.seal(teamId, credentials));
    return credentials;
  }

  private seal(teamId: string, credentials: SlackCredentials): string {
    return encrypt(this.key, JSON.stringify(credentials), `slack:${teamId}`);
  }

  private open(teamId: string, sealed: string): SlackCredentials {
    return JSON.parse(decrypt(this.key, sealed, `slack:${teamId}`)) as SlackCredentials;
  }
}

/**
 * Credentials from an `oauth.v2.access` answer: `access_token`, and with token rotation
 * `refresh_token` and `expires_in` (seconds).
 */
export function credentialsOf(granted: { access_token?: string; refresh_token?: string; expires_in?: number }): SlackCredentials {
  return {
    botToken: granted.access_token ?? '',
    ...(granted.refresh_token ? { refreshToken: granted.refresh_token } : {}),
    ...(granted.expires_in ? { expiresAt: Date.now() + granted.expires_in * 1000 } : {}),
  };
}
