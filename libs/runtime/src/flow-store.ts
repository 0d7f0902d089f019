import type { Redis } from 'ioredis';
import { SdkError, type FlowStore } from '@openflows/sdk';

/**
 * The per-flow key/value store (`store` in the SDK): JSON values in Redis at
 * `<keyPrefix>:store:<flowId>:<key>`, with an optional expiry in seconds.
 */
export function createFlowStore(redis: Redis, keyPrefix: string, flowId: string): FlowStore {
  const keyOf = (key: string) => {
    if (typeof key !== 'string' || key === '' || key.length > 512) {
      throw new SdkError('INVALID_ARGUMENT', 'store keys are non-empty strings of at most 512 characters');
    }
    return `${keyPrefix}:store:${flowId}:${key}`;
  };
  return {
    async get<T>(key: string) {
      const raw = await redis.get(keyOf(key));
      return raw === null ? undefined : (JSON.parse(raw) as T);
    },
    async set(key, value, options) {
      const raw = JSON.stringify(value);
      if (raw === undefined) throw new SdkError('INVALID_ARGUMENT', 'store values must be JSON-serialisable');
      const ttl = options?.ttl;
      if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0)) {
        throw new SdkError('INVALID_ARGUMENT', 'store ttl is a whole number of seconds above 0');
      }
      if (ttl) await redis.set(keyOf(key), raw, 'EX', ttl);
      else await redis.set(keyOf(key), raw);
    },
    async del(key) {
      await redis.del(keyOf(key));
    },
  };
}
