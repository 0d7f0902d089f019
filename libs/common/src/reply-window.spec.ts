import { Redis } from 'ioredis';
import { useTestRedis, TEST_REDIS_URL } from '@openflows/test-support/redis';
import type { AppConfig } from './config';
import { ReplyWindow } from './reply-window';

describe('ReplyWindow (real Redis; the waiter and the run on separate connections)', () => {
  const test = useTestRedis('reply-window');
  let api: ReplyWindow;
  let worker: ReplyWindow;
  const connections: Redis[] = [];

  beforeAll(() => {
    const config = { redis: { url: TEST_REDIS_URL, prefix: test.prefix } } as AppConfig;
    const connect = () => {
      const redis = new Redis(TEST_REDIS_URL);
      connections.push(redis);
      return redis;
    };
    api = new ReplyWindow(connect(), config);
    worker = new ReplyWindow(connect(), config);
  });

  afterAll(async () => {
    await api.onApplicationShutdown();
    await worker.onApplicationShutdown();
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('hands the answer of a run to the process waiting for it', async () => {
    const pending = await api.open('ev-1', 10_000);
    const waited = pending.wait(5000);
    expect(await worker.deliver('ev-1', { status: 200, body: 'hi' })).toBe(true);
    expect(await waited).toEqual({ status: 200, body: 'hi' });
  });

  it('closes when nobody answers in time: a later answer is refused and goes another way', async () => {
    const pending = await api.open('ev-2', 10_000);
    expect(await pending.wait(50)).toBeUndefined();
    expect(await worker.deliver('ev-2', 'too late')).toBe(false);
    expect(await test.redis.exists(`${test.prefix}:reply:ev-2`)).toBe(0);
  });

  it('still gets an answer claimed just before the waiter gave up', async () => {
    const pending = await api.open('ev-3', 10_000);
    expect(await worker.deliver('ev-3', 'just in time')).toBe(true);
    // A zero wait gives up before the message is read: closing then finds the window claimed.
    expect(await pending.wait(0)).toBe('just in time');
  });

  it('refuses an answer for a window never opened, and keeps many windows apart', async () => {
    expect(await worker.deliver('never-opened', 'x')).toBe(false);
    const ids = Array.from({ length: 50 }, (_, i) => `many-${i}`);
    const pendings = await Promise.all(ids.map((id) => api.open(id, 10_000)));
    const answers = pendings.map((p) => p.wait(5000));
    await Promise.all([...ids].reverse().map((id) => worker.deliver(id, { id })));
    expect(await Promise.all(answers)).toEqual(ids.map((id) => ({ id })));
  });

  it('lets a window expire when its waiter is gone', async () => {
    await api.open('ev-4', 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await worker.deliver('ev-4', 'nobody listens')).toBe(false);
  });
});
