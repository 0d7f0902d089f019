import { SdkError, type FlowStore } from '@openflows/sdk';

/**
 * The SDK's per-flow `store` in process memory for one local run: values kept as JSON (so they come
 * back as copies, as from Redis) with the same expiry option in seconds and the same argument checks.
 */
export function createMemoryStore(): FlowStore {
  const entries = new Map<string, { json: string; expiresAt: number }>();
  const check = (key: string) => {
    if (typeof key !== 'string' || key === '' || key.length > 512) {
      throw new SdkError('INVALID_ARGUMENT', 'store keys are non-empty strings of at most 512 characters');
    }
  };
  return {
    get<T>(key: string) {
      check(key);
      const entry = entries.get(key);
      const live = entry !== undefined && entry.expiresAt > Date.now();
      return Promise.resolve(live ? (JSON.parse(entry.json) as T) : undefined);
    },
    set(key, value, options) {
      check(key);
      const json = JSON.stringify(value);
      if (json === undefined) throw new SdkError('INVALID_ARGUMENT', 'store values must be JSON-serialisable');
      const ttl = options?.ttl;
      if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0)) {
        throw new SdkError('INVALID_ARGUMENT', 'store ttl is a whole number of seconds above 0');
      }
      entries.set(key, { json, expiresAt: ttl ? Date.now() + ttl * 1000 : Infinity });
      return Promise.resolve();
    },
    del(key) {
      check(key);
      entries.delete(key);
      return Promise.resolve();
    },
  };
}
