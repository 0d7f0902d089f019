import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AppConfig } from './config';
import { APP_CONFIG } from './config.module';
import { REDIS, redisKey } from './redis-key';

/**
 * Claims an open window and publishes the answer in one step, so an answer is either delivered to the
 * waiting process or refused (window closed): never claimed and then lost. KEYS[1] the window,
 * ARGV[1] the channel, ARGV[2] the answer (JSON). Returns 1 when delivered, 0 when the window was closed.
 */
const DELIVER = `
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('PUBLISH', ARGV[1], ARGV[2])
  return 1
end
return 0`;

/** How long a closing waiter still listens for an answer that was claimed just before it closed (ms). */
const CLAIMED_GRACE_MS = 2000;

/** A window opened by {@link ReplyWindow.open}: wait for the answer, at most once. */
export interface PendingReply {
  /**
   * The answer a run delivered within `ms`, or undefined when none did: the window is then closed and
   * a later {@link ReplyWindow.deliver} for it returns false (the run answers another way).
   */
  wait(ms: number): Promise<unknown>;
}

/**
 * A run's answer handed back to the api process waiting for it: WeChat's passive reply (the vendor
 * waits 5 s for the HTTP answer), an HTTP endpoint's response. The waiter opens the window before
 * the event is queued; the run claims it and publishes its answer atomically; the waiter that gives
 * up closes it, and a claim after that fails, so each answer goes exactly one way. Windows are keyed
 * by an id both sides know (the event id). Redis: key `<prefix>:reply:<id>` (open while it exists,
 * with a TTL in case the waiter dies) and the pub/sub channel of the same name; the waiter's
 * subscription uses its own connection, made on first use.
 */
@Injectable()
export class ReplyWindow implements OnApplicationShutdown {
  private subscriber?: Redis;
  private readonly waiting = new Map<string, (message: string) => void>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Opens the window `id` for at most `ttlMs` (ms) and starts listening; call it before queueing the
   * event whose run answers. @throws the Redis error when Redis is unreachable (answer 503).
   */
  async open(id: string, ttlMs: number): Promise<PendingReply> {
    const key = this.key(id);
    let received: (message: string) => void = () => undefined;
    const message = new Promise<string>((resolve) => (received = resolve));
    this.waiting.set(key, received);
    await (await this.subscriberConnection()).subscribe(key);
    await this.redis.set(key, '1', 'PX', ttlMs);
    return { wait: (ms) => this.await(key, message, ms) };
  }

  /**
   * Delivers `answer` (JSON-copyable) to the process waiting on window `id`.
   * @returns true when it was delivered, false when no window is open (never opened, given up, expired).
   */
  async deliver(id: string, answer: unknown): Promise<boolean> {
    const key = this.key(id);
    return (await this.redis.eval(DELIVER, 1, key, key, JSON.stringify(answer ?? null))) === 1;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private async await(key: string, message: Promise<string>, ms: number): Promise<unknown> {
    try {
      let answer = await within(message, ms);
      // Closing fails when a run claimed the window just now: its answer is on the way.
      if (answer === undefined && (await this.redis.del(key)) === 0) answer = await within(message, CLAIMED_GRACE_MS);
      return answer === undefined ? undefined : JSON.parse(answer);
    } finally {
      this.waiting.delete(key);
      await this.subscriber?.unsubscribe(key).catch(() => undefined);
    }
  }

  private async subscriberConnection(): Promise<Redis> {
    if (!this.subscriber) {
      this.subscriber = this.redis.duplicate({ enableOfflineQueue: true });
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (channel: string, message: string) => this.waiting.get(channel)?.(message));
    }
    return this.subscriber;
  }

  private key(id: string): string {
    return redisKey(this.config, 'reply', id);
  }
}

/** `promise`'s value, or undefined when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
