import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';

/** Failed sign-ins allowed per (address, login) in {@link WINDOW_SECONDS} before that pair is blocked. */
export const FAILURES_PER_LOGIN = 5;
/** Failed sign-ins allowed per address over all logins in {@link WINDOW_SECONDS}. */
export const FAILURES_PER_ADDRESS = 30;
const WINDOW_SECONDS = 15 * 60;

/**
 * Brute-force protection of password sign-in, with `rate-limiter-flexible` counters in Redis (shared by
 * every api process): failures are counted per (address, login) and per address; a success clears the
 * pair's count.
 */
@Injectable()
export class SignInLimiterService {
  private readonly perLogin: RateLimiterRedis;
  private readonly perAddress: RateLimiterRedis;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis) {
    const options = { storeClient: redis, duration: WINDOW_SECONDS, blockDuration: WINDOW_SECONDS, useRedisPackage: false };
    this.perLogin = new RateLimiterRedis({ ...options, keyPrefix: redisKey(config, 'sign-in', 'login'), points: FAILURES_PER_LOGIN });
    this.perAddress = new RateLimiterRedis({ ...options, keyPrefix: redisKey(config, 'sign-in', 'address'), points: FAILURES_PER_ADDRESS });
  }

  /** Seconds until `address` may try `login` again; 0 when it may now. */
  async retryAfter(address: string, login: string): Promise<number> {
    const [pair, all] = await Promise.all([this.perLogin.get(pairKey(address, login)), this.perAddress.get(address)]);
    const blocked = [pair && pair.remainingPoints <= 0 ? pair : null, all && all.remainingPoints <= 0 ? all : null];
    return Math.max(0, ...blocked.map((res) => (res ? Math.ceil(res.msBeforeNext / 1000) : 0)));
  }

  /** Counts a failed attempt. */
  async failed(address: string, login: string): Promise<void> {
    await Promise.all([this.perLogin.consume(pairKey(address, login)), this.perAddress.consume(address)].map((p) => p.catch(ignoreLimit)));
  }

  /** Forgets the pair's failures after a successful sign-in. */
  async succeeded(address: string, login: string): Promise<void> {
    await this.perLogin.delete(pairKey(address, login));
  }
}

const pairKey = (address: string, login: string) => `${address}|${login.toLowerCase()}`;

/** `consume` rejects with a RateLimiterRes once the limit is reached: that is the block itself, not an error. */
function ignoreLimit(reason: unknown): void {
  if (!(reason instanceof RateLimiterRes)) throw reason;
}
