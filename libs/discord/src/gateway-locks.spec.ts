import { useTestRedis } from '@openflows/test-support/redis';
import { GatewayLocks } from './gateway-locks';

describe('GatewayLocks (real Redis)', () => {
  const testRedis = useTestRedis('discord-gateway-locks');
  const locks = (holder: string, ttlMs = 10_000) => new GatewayLocks(testRedis.redis, `${testRedis.prefix}:gateway`, holder, ttlMs);

  it('lets one holder take a lock, and the other only once it is released', async () => {
    const [a, b] = [locks('a'), locks('b')];
    expect(await a.acquire('app1')).toBe(true);
    expect(await b.acquire('app1')).toBe(false);
    expect(await b.extend('app1')).toBe(false);
    await b.release('app1');
    expect(await a.extend('app1')).toBe(true);
    await a.release('app1');
    expect(await b.acquire('app1')).toBe(true);
  });

  it('passes a lock its holder stopped extending to another holder', async () => {
    const [a, b] = [locks('a', 200), locks('b', 200)];
    expect(await a.acquire('app2')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await b.acquire('app2')).toBe(true);
    expect(await a.extend('app2')).toBe(false);
  });

  it('keeps an extended lock past its first expiry', async () => {
    const [a, b] = [locks('a', 300), locks('b', 300)];
    expect(await a.acquire('app3')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await a.extend('app3')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await b.acquire('app3')).toBe(false);
  });
});
