import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';

/**
 * What the page hears about a conversation, as one server-sent event each (JSON):
 * - `delta`: more text of the answer `reply` (`start` on its first delta: a retried run's answer
 *   begins again, so the page clears what it showed of it);
 * - `done`: the answer `reply` is complete (`failed` when the flow's stream broke off);
 * - `image`: an image answer;
 * - `message`: the visitor's own message as recorded (another tab of the same session sees it);
 * - `end`: the run of the visitor's message `message` is over for good (`failed`: it failed and will
 *   not be tried again), answered or not.
 */
export type ConversationUpdate =
  | { type: 'delta'; reply: string; text: string; start?: boolean }
  | { type: 'done'; reply: string; failed?: boolean }
  | { type: 'image'; reply: string; url: string; alt?: string }
  | { type: 'message'; id: string; text: string; role?: string }
  | { type: 'end'; message: string; failed?: boolean };

/** The Redis pub/sub channel of a visitor's conversation (the envelope's conversation key). */
export function conversationChannel(config: AppConfig, conversationKey: string): string {
  return redisKey(config, 'webchat', 'updates', conversationKey);
}

/** Publishes a conversation's updates (the worker's `web.reply`, the api's recorded messages). */
@Injectable()
export class ConversationPublisher {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async publish(conversationKey: string, update: ConversationUpdate): Promise<void> {
    await this.redis.publish(conversationChannel(this.config, conversationKey), JSON.stringify(update));
  }
}

/**
 * The api's listeners of conversations (the pages' event streams): one Redis subscriber connection per
 * process, made on first use, subscribed to each channel while at least one page listens to it. At
 * shutdown every listener is told to close first, so open pages do not keep the HTTP server from
 * stopping (their EventSource reconnects, to another api process when there is one).
 */
@Injectable()
export class ConversationStreams implements BeforeApplicationShutdown, OnApplicationShutdown {
  private subscriber?: Redis;
  private readonly listeners = new Map<string, Set<(update: string) => void>>();
  private readonly closers = new Set<() => void>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Calls `listener` with each update (JSON text) of the conversation until the returned function is
   * called; `close` when the process shuts down. Resolves once the subscription is in place: updates
   * published after that are heard.
   */
  async listen(conversationKey: string, listener: (update: string) => void, close: () => void): Promise<() => Promise<void>> {
    const channel = conversationChannel(this.config, conversationKey);
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    this.closers.add(close);
    await this.connection().subscribe(channel);
    return async () => {
      this.closers.delete(close);
      set.delete(listener);
      if (set.size > 0 || this.listeners.get(channel) !== set) return;
      this.listeners.delete(channel);
      await this.subscriber?.unsubscribe(channel).catch(() => undefined);
    };
  }

  beforeApplicationShutdown(): void {
    for (const close of [...this.closers]) close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private connection(): Redis {
    if (!this.subscriber) {
      this.subscriber = this.redis.duplicate({ enableOfflineQueue: true });
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (channel: string, message: string) => {
        for (const listener of this.listeners.get(channel) ?? []) listener(message);
      });
    }
    return this.subscriber;
  }
}
