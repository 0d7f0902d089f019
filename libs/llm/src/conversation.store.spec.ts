import type { Redis } from 'ioredis';
import { useTestRedis } from '@openflows/test-support/redis';
import { InMemoryConversationMemory, RedisConversationMemory, type Conversation } from './conversation.store';

const conversation: Conversation = {
  summary: 'earlier they said hi',
  messages: [
    { role: 'user', content: 'hello' },
    { role: 'assistant', content: 'hi there' },
  ],
};

describe('RedisConversationMemory', () => {
  const testRedis = useTestRedis('llm-store');
  const prefix = testRedis.prefix;
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis.redis;
  });

  it('stores JSON under <prefix>:conversation:<flow>:<conversation> with the TTL', async () => {
    const memory = new RedisConversationMemory(redis, prefix, 600);
    await memory.save('flow-1', 'issue#42', conversation);

    const key = `${prefix}:conversation:flow-1:issue#42`;
    expect(JSON.parse((await redis.get(key))!)).toEqual(conversation);
    expect(await redis.ttl(key)).toBeGreaterThan(590);
    expect(await memory.load('flow-1', 'issue#42')).toEqual(conversation);
  });

  it('keeps flows and conversations apart', async () => {
    const memory = new RedisConversationMemory(redis, prefix, 600);
    await memory.save('flow-a', 'c', conversation);
    expect(await memory.load('flow-b', 'c')).toBeUndefined();
    expect(await memory.load('flow-a', 'other')).toBeUndefined();
  });

  it('refreshes the TTL on every save', async () => {
    const memory = new RedisConversationMemory(redis, prefix, 600);
    const key = `${prefix}:conversation:flow-ttl:c`;
    await memory.save('flow-ttl', 'c', conversation);
    await redis.expire(key, 5);
    await memory.save('flow-ttl', 'c', { messages: [] });
    expect(await redis.ttl(key)).toBeGreaterThan(590);
  });

  it('forgets a conversation after the TTL without saves', async () => {
    const memory = new RedisConversationMemory(redis, prefix, 1);
    await memory.save('flow-exp', 'c', conversation);
    expect(await memory.load('flow-exp', 'c')).toEqual(conversation);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await memory.load('flow-exp', 'c')).toBeUndefined();
  });

  it('refuses a TTL that Redis cannot take', () => {
    expect(() => new RedisConversationMemory(redis, prefix, 0)).toThrow(RangeError);
    expect(() => new RedisConversationMemory(redis, prefix, 1.5)).toThrow(RangeError);
  });
});

describe('InMemoryConversationMemory', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('returns what was saved until the TTL passes without a save', async () => {
    const memory = new InMemoryConversationMemory(600);
    await memory.save('flow', 'c', conversation);

    jest.advanceTimersByTime(599_999);
    expect(await memory.load('flow', 'c')).toEqual(conversation);
    jest.advanceTimersByTime(1);
    expect(await memory.load('flow', 'c')).toBeUndefined();
  });

  it('measures inactivity: a save restarts the clock', async () => {
    const memory = new InMemoryConversationMemory(600);
    await memory.save('flow', 'c', conversation);
    jest.advanceTimersByTime(500_000);
    await memory.save('flow', 'c', conversation);
    jest.advanceTimersByTime(500_000);
    expect(await memory.load('flow', 'c')).toEqual(conversation);
  });

  it('does not share objects with callers', async () => {
    const memory = new InMemoryConversationMemory(600);
    const mine = structuredClone(conversation);
    await memory.save('flow', 'c', mine);
    mine.messages.push({ role: 'user', content: 'changed later' });
    (await memory.load('flow', 'c'))!.messages.length = 0;
    expect(await memory.load('flow', 'c')).toEqual(conversation);
  });

  it('keeps flows and conversations apart, whatever their ids contain', async () => {
    const memory = new InMemoryConversationMemory(600);
    await memory.save('a:b', 'c', conversation);
    expect(await memory.load('a', 'b:c')).toBeUndefined();
  });
});
