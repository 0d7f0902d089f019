import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, decrypt, encrypt, loadMasterKey, redisKey, type AppConfig } from '@openflows/common';
import { WechatApi, WechatApiError, type GrantedToken } from './wechat-api';

/** errcodes that mean the access token used is no longer good: 40001 invalid (replaced), 42001 expired. */
const STALE_TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 42001]);
/** Refresh this long before WeChat's expiry (ms), at most a quarter of the token's life. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** How long one process may hold the refresh lock of an account (ms): longer than a grant takes. */
const LOCK_MS = 15_000;
/** How often a process waiting for another's refresh looks at the cache again (ms). */
const POLL_MS = 100;

/** Deletes KEYS[1] only while it still holds ARGV[1]: a lock released, or a token dropped, by whoever set it. */
const DELETE_IF_EQUAL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** The credentials an account's access token is granted with. */
export interface WechatAppCredentials {
  appId: string;
  appSecret: string;
}

/**
 * Access tokens of the connected accounts, cached in Redis per AppID (sealed under the master key, key
 * `<prefix>:wechat:token:<AppID>`) until shortly before `expires_in`. Every grant replaces the
 * account's previous token (WeChat keeps the old one working for five minutes), so across all api and
 * worker processes one refreshes at a time: a `SET NX` lock per AppID, the others wait for its token.
 * A call answered 40001 or 42001 drops that token and is tried once more with a new one.
 */
@Injectable()
export class WechatAccessTokens {
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly api: WechatApi,
  ) {
    this.key = loadMasterKey(config);
  }

  /**
   * Runs `call` with a valid access token of the account; when WeChat answers that the token is stale
   * (40001, 42001), drops it and runs `call` once more with a fresh one.
   * @throws WechatApiError from the grant or from `call`; the network error when WeChat is unreachable.
   */
  async withToken<T>(app: WechatAppCredentials, call: (accessToken: string) => Promise<T>): Promise<T> {
    const token = await this.token(app);
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof WechatApiError) || !STALE_TOKEN_ERRCODES.has(error.errcode)) throw error;
      await this.drop(app.appId, token);
      return call(await this.token(app));
    }
  }

  /** A cached access token of the account, or a new one granted by this or another process. @throws as {@link withToken} */
  async token(app: WechatAppCredentials): Promise<string> {
    const deadline = Date.now() + LOCK_MS * 2;
    for (;;) {
      const cached = await this.cached(app.appId);
      if (cached) return cached;
      const lock = await this.lock(app.appId);
      if (lock) {
        try {
          // Another process may have stored one between our read and our lock.
          return (await this.cached(app.appId)) ?? (await this.grant(app));
        } finally {
          await this.redis.eval(DELETE_IF_EQUAL, 1, this.lockKey(app.appId), lock);
        }
      }
      if (Date.now() > deadline) throw new Error(`no access token for ${app.appId}: another process holds the refresh lock`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Caches a token just granted elsewhere (the connect check), replacing the cached one, which that grant made stale. */
  async store(appId: string, granted: GrantedToken): Promise<void> {
    const lifeMs = granted.expiresIn * 1000;
    const ttlMs = lifeMs - Math.min(REFRESH_MARGIN_MS, lifeMs / 4);
    if (ttlMs < 1) return;
    await this.redis.set(this.tokenKey(appId), this.seal(appId, granted.accessToken), 'PX', Math.floor(ttlMs));
  }

  private async grant(app: WechatAppCredentials): Promise<string> {
    const granted = await this.api.grantToken(app.appId, app.appSecret);
    await this.store(app.appId, granted);
    return granted.accessToken;
  }

  private async cached(appId: string): Promise<string | undefined> {
    const sealed = await this.redis.get(this.tokenKey(appId));
    return sealed ? decrypt(this.key, sealed, `wechat-token:${appId}`) : undefined;
  }

  /** Drops `token` from the cache unless another process has replaced it already. */
  private async drop(appId: string, token: string): Promise<void> {
    const sealed = await this.redis.get(this.tokenKey(appId));
    if (sealed && decrypt(this.key, sealed, `wechat-token:${appId}`) === token) {
      await this.redis.eval(DELETE_IF_EQUAL, 1, this.tokenKey(appId), sealed);
    }
  }

  /** The lock's value when this process got it, undefined when another holds it. */
  private async lock(appId: string): Promise<string | undefined> {
    const value = randomUUID();
    return (await this.redis.set(this.lockKey(appId), value, 'PX', LOCK_MS, 'NX')) === 'OK' ? value : undefined;
  }

  private seal(appId: string, token: string): string {
    return encrypt(this.key, token, `wechat-token:${appId}`);
  }

  private tokenKey(appId: string): string {
    return redisKey(this.config, 'wechat', 'token', appId);
  }

  private lockKey(appId: string): string {
    return redisKey(this.config, 'wechat', 'token-lock', appId);
  }
}
