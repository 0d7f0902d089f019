import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';

/** How long a push's claim and its passive reply are kept (ms): WeChat's three tries span about 15 s. */
const KEEP_MS = 60_000;
/** How often a retry looks whether the first copy's answer is settled (ms). */
const POLL_MS = 100;
const PENDING = 'pending';

/**
 * Which api request answers a push, across api processes, and the passive reply it answered, so
 * WeChat's retries of one push are answered alike: the first copy claims the delivery and waits for the
 * run; a retry (WeChat tries again when an answer took 5 s or got lost) waits for the first copy to
 * settle and answers the same passive reply, or `success`. Redis key `<prefix>:wechat:passive:<delivery
 * id>`: `pending`, then `{"reply": <xml> | null}`, kept {@link KEEP_MS}.
 */
@Injectable()
export class PassiveReplies {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Whether this request is the first copy of the delivery (then it must {@link settle} or {@link release} it). */
  async claim(deliveryId: string): Promise<boolean> {
    return (await this.redis.set(this.key(deliveryId), PENDING, 'PX', KEEP_MS, 'NX')) === 'OK';
  }

  /** Gives the claim up (the push could not be queued): the next copy is handled as a first one. */
  async release(deliveryId: string): Promise<void> {
    await this.redis.del(this.key(deliveryId));
  }

  /** Records what the first copy answered: the passive reply XML, or null for `success`. */
  async settle(deliveryId: string, reply: string | null): Promise<void> {
    await this.redis.set(this.key(deliveryId), JSON.stringify({ reply }), 'PX', KEEP_MS);
  }

  /** The passive reply the first copy answered, waiting at most `ms` for it to settle; undefined for none (or not yet). */
  async settled(deliveryId: string, ms: number): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await this.redis.get(this.key(deliveryId));
      if (value !== PENDING) return value ? ((JSON.parse(value) as { reply: string | null }).reply ?? undefined) : undefined;
      if (Date.now() + POLL_MS > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private key(deliveryId: string): string {
    return redisKey(this.config, 'wechat', 'passive', deliveryId);
  }
}
