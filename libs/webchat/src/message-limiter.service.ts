import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, CodedError, REDIS, redisKey, type AppConfig } from '@openflows/common';

/** Messages and voice messages one address may send to one chat per {@link WINDOW_SECONDS}. */
export const MESSAGES_PER_MINUTE = 20;
const WINDOW_SECONDS = 60;

/**
 * Keeps one visitor from running up the owner's LLM bill: messages and voice messages are counted per
 * (address, chat) in Redis (`rate-limiter-flexible`, shared by every api process); past
 * {@link MESSAGES_PER_MINUTE} in a minute they are refused until the minute is over.
 */
@Injectable()
export class MessageLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: false,
      keyPrefix: redisKey(config, 'webchat', 'messages'),
      points: MESSAGES_PER_MINUTE,
      duration: WINDOW_SECONDS,
    });
  }

  /** Counts one message of `address` to the chat `chatId`. @throws CodedError RATE_LIMITED (429, `details.retryAfter` s) */
  async take(address: string, chatId: string): Promise<void> {
    try {
      await this.limiter.consume(`${address}|${chatId}`);
    } catch (reason) {
      if (!(reason instanceof RateLimiterRes)) throw reason;
      const retryAfter = Math.max(1, Math.ceil(reason.msBeforeNext / 1000));
      throw new CodedError('RATE_LIMITED', `too many messages: try again in ${retryAfter} s`, { details: { retryAfter } });
    }
  }
}
