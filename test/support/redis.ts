/** Redis for one spec file: a unique key prefix, and every key under it deleted after the file. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The test Redis; override with TEST_REDIS_URL (or REDIS_URL). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Registers beforeAll/afterAll hooks that open a connection and, after the file, delete every key
 * under `prefix` and close it. Call it at the top of a describe block; read `redis` inside hooks/tests.
 */
export function useTestRedis(name: string): { readonly redis: Redis; readonly prefix: string } {
  const handle = { prefix: `test-${name}-${randomUUID()}`, redis: undefined as unknown as Redis };
  beforeAll(() => {
    handle.redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    const keys = await handle.redis.keys(`${handle.prefix}:*`);
    if (keys.length > 0) await handle.redis.del(...keys);
    await handle.redis.quit();
  });
  return handle;
}
