import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';

/** How long a connect code is good for (ms): long enough to open a link, short enough that one left in a history is dead. */
export const CONNECT_CODE_TTL_MS = 60_000;

/** A code just issued: `code` goes in `/connect/<provider>?code=…`; `expiresAt` is ISO 8601. */
export interface IssuedConnectCode {
  code: string;
  expiresAt: string;
}

/**
 * One-time codes that let a browser start a connection (`GET /connect/<provider>?code=…`) as the user
 * who asked for one with their token or session, so that no API token ever appears in a URL (browser
 * history, proxy logs). A code is 32 random bytes (base64url), good for 60 s and for one use; only its
 * SHA-256 is stored, at `<prefix>:connect-code:<hash>` in Redis, with the user id and its expiry.
 */
@Injectable()
export class ConnectCodesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** A new code for `userId`, valid {@link CONNECT_CODE_TTL_MS} from `now`. */
  async issue(userId: string, now = Date.now()): Promise<IssuedConnectCode> {
    const code = `ofc_${randomBytes(32).toString('base64url')}`;
    const expiresAt = now + CONNECT_CODE_TTL_MS;
    await this.redis.set(this.keyOf(code), JSON.stringify({ userId, expiresAt }), 'PX', CONNECT_CODE_TTL_MS);
    return { code, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * The user a code was issued to, once: the code is deleted as it is read (GETDEL), so a second use
   * finds nothing. Undefined for an unknown, used or expired code (expiry is checked against `now`,
   * Redis forgets the key soon after).
   */
  async redeem(code: string, now = Date.now()): Promise<string | undefined> {
    const stored = await this.redis.getdel(this.keyOf(code));
    if (!stored) return undefined;
    const { userId, expiresAt } = JSON.parse(stored) as { userId: string; expiresAt: number };
    return expiresAt > now ? userId : undefined;
  }

  private keyOf(code: string): string {
    return redisKey(this.config, 'connect-code', createHash('sha256').update(code).digest('hex'));
  }
}
