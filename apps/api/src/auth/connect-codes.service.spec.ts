import { useTestRedis } from '@openflows/test-support/redis';
import { loadConfig } from '@openflows/common';
import { CONNECT_CODE_TTL_MS, ConnectCodesService } from './connect-codes.service';

const USER = '0b6f5d3e-4a8c-4f1e-9d2b-7c3a1e5f9a01';

describe('ConnectCodesService (real Redis)', () => {
  const testRedis = useTestRedis('connect-codes');
  let codes: ConnectCodesService;

  beforeAll(() => {
    codes = new ConnectCodesService(loadConfig({ REDIS_PREFIX: testRedis.prefix }), testRedis.redis);
  });

  it('issues a code that names its user once: a second use finds nothing', async () => {
    const now = Date.now();
    const issued = await codes.issue(USER, now);
    expect(issued.code).toMatch(/^ofc_[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(new Date(now + CONNECT_CODE_TTL_MS).toISOString());
    expect(await codes.redeem(issued.code)).toBe(USER);
    expect(await codes.redeem(issued.code)).toBeUndefined();
  });

  it('refuses a code past its 60 s, and Redis forgets it', async () => {
    const { code } = await codes.issue(USER);
    expect(await codes.redeem(code, Date.now() + CONNECT_CODE_TTL_MS + 1)).toBeUndefined();
    expect(await codes.redeem(code)).toBeUndefined();
    const kept = await codes.issue(USER);
    const [key] = await testRedis.redis.keys(`${testRedis.prefix}:connect-code:*`);
    expect(await testRedis.redis.pttl(key)).toBeGreaterThan(CONNECT_CODE_TTL_MS - 5_000);
    expect(await codes.redeem(kept.code)).toBe(USER);
  });

  it('stores only the hash of a code, and knows no code it did not issue', async () => {
    const { code } = await codes.issue(USER);
    const keys = await testRedis.redis.keys(`${testRedis.prefix}:*`);
    const stored = [...keys, ...(await Promise.all(keys.map((k) => testRedis.redis.get(k))))].join('\n');
    expect(stored).not.toContain(code.slice(4));
    expect(await codes.redeem('ofc_not-a-code')).toBeUndefined();
    expect(await codes.redeem(code)).toBe(USER);
  });
});
