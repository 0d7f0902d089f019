import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { useTestRedis } from '@openflows/test-support/redis';
import { SdkError } from '@openflows/sdk';
import { createFlowStore } from './flow-store';

describe('createFlowStore (real Redis)', () => {
  const testRedis = useTestRedis('flow-store');
  const prefix = testRedis.prefix;
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis.redis;
  });

  const storeFor = (flowId = randomUUID()) => ({ flowId, store: createFlowStore(redis, prefix, flowId) });

  /** The SdkError code `work` rejects with. */
  async function codeOf(work: () => Promise<unknown>): Promise<string> {
    const error = await work().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SdkError);
    return (error as SdkError).code;
  }

  it('returns undefined for a key never set', async () => {
    expect(await storeFor().store.get('missing')).toBeUndefined();
  });

  it('stores JSON values at <prefix>:store:<flowId>:<key> and reads them back', async () => {
    const { flowId, store } = storeFor();
    const value = { count: 3, tags: ['a', 'b'], nested: { ok: true }, none: null };
    await store.set('state', value);
    expect(await store.get('state')).toEqual(value);
    expect(JSON.parse((await redis.get(`${prefix}:store:${flowId}:state`))!)).toEqual(value);
    expect(await redis.ttl(`${prefix}:store:${flowId}:state`)).toBe(-1);
  });

  it('keeps falsy values apart from missing ones', async () => {
    const { store } = storeFor();
    await store.set('zero', 0);
    await store.set('no', false);
    await store.set('empty', '');
    await store.set('nothing', null);
    expect([await store.get('zero'), await store.get('no'), await store.get('empty'), await store.get('nothing')]).toEqual([
      0,
      false,
      '',
      null,
    ]);
  });

  it('overwrites and deletes', async () => {
    const { store } = storeFor();
    await store.set('k', 1);
    await store.set('k', 2);
    expect(await store.get('k')).toBe(2);
    await store.del('k');
    expect(await store.get('k')).toBeUndefined();
    await expect(store.del('k')).resolves.toBeUndefined();
  });

  it('forgets a key after its ttl', async () => {
    const { flowId, store } = storeFor();
    await store.set('short', 'lived', { ttl: 1 });
    expect(await redis.ttl(`${prefix}:store:${flowId}:short`)).toBeGreaterThan(0);
    expect(await store.get('short')).toBe('lived');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await store.get('short')).toBeUndefined();
  });

  it('drops an earlier ttl when a key is set again without one', async () => {
    const { flowId, store } = storeFor();
    await store.set('k', 'v', { ttl: 60 });
    await store.set('k', 'v');
    expect(await redis.ttl(`${prefix}:store:${flowId}:k`)).toBe(-1);
  });

  it('keeps flows apart', async () => {
    const a = storeFor().store;
    const b = storeFor().store;
    await a.set('shared-name', 'from a');
    expect(await b.get('shared-name')).toBeUndefined();
    await b.set('shared-name', 'from b');
    await b.del('shared-name');
    expect(await a.get('shared-name')).toBe('from a');
  });

  it.each([0, -5, 1.5, Number.NaN])('refuses ttl %p', async (ttl) => {
    const { flowId, store } = storeFor();
    expect(await codeOf(() => store.set('k', 'v', { ttl }))).toBe('INVALID_ARGUMENT');
    expect(await redis.exists(`${prefix}:store:${flowId}:k`)).toBe(0);
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
  ])('refuses %s as a value', async (_what, value) => {
    expect(await codeOf(() => storeFor().store.set('k', value))).toBe('INVALID_ARGUMENT');
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(513)],
  ])('refuses an %s key', async (_what, key) => {
    const { store } = storeFor();
    expect(await codeOf(() => store.get(key))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => store.set(key, 1))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => store.del(key))).toBe('INVALID_ARGUMENT');
  });
});
