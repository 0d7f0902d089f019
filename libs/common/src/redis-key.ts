import type { AppConfig } from './config';

/** Injection token of the shared ioredis client (named secrets, conversations, flow store). */
export const REDIS = Symbol('REDIS');

/** Prefix for the platform's own Redis keys; BullMQ uses the same prefix for its queues. */
export function redisKey(config: AppConfig, ...parts: string[]): string {
  return [config.redis.prefix, ...parts].join(':');
}
