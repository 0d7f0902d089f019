import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';

/** How long a conversation's transcript is kept after its last entry (s): as long as a visitor session. */
export const TRANSCRIPT_TTL_SECONDS = 24 * 60 * 60;

/** One entry of what the page shows again after a reload: the visitor's message, an answer or an image. */
export type TranscriptEntry =
  | { kind: 'visitor'; id: string; at: number; text: string }
  | { kind: 'answer'; id: string; at: number; text: string }
  | { kind: 'image'; id: string; at: number; url: string; alt?: string };

/**
 * A conversation's transcript in Redis: one hash per conversation key, an entry per field (its id), so
 * a retried run writing the same answer again replaces it rather than adding a copy. Kept
 * {@link TRANSCRIPT_TTL_SECONDS} after the last entry.
 */
@Injectable()
export class ConversationTranscript {
  /** The last `at` this process recorded: entries made within one millisecond still sort in the order made. */
  private lastAt = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async record(conversationKey: string, entry: TranscriptEntry): Promise<void> {
    const key = this.key(conversationKey);
    // Two entries in one millisecond (an answer's end, then an image) would tie, and the hash's order is arbitrary.
    const at = (this.lastAt = Math.max(entry.at, this.lastAt + 1));
    await this.redis
      .multi()
      .hset(key, entry.id, JSON.stringify({ ...entry, at }))
      .expire(key, TRANSCRIPT_TTL_SECONDS)
      .exec();
  }

  /** The entries in the order they were made (`at`, ms since the epoch). */
  async entries(conversationKey: string): Promise<TranscriptEntry[]> {
    const fields = await this.redis.hvals(this.key(conversationKey));
    return fields.map((field) => JSON.parse(field) as TranscriptEntry).sort((a, b) => a.at - b.at);
  }

  private key(conversationKey: string): string {
    return redisKey(this.config, 'webchat', 'transcript', conversationKey);
  }
}
