import { Inject, Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, CodedError, REDIS, redisKey, type AppConfig } from '@openflows/common';
import { WebChatsRepository, type KeyedWebChat } from '@openflows/db';
import { SecretsService } from '@openflows/secrets';

/** argon2id with the parameters OWASP recommends as a minimum (19 MiB, 2 passes, 1 lane), as for sign-in. */
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** Wrong passwords allowed per (address, chat) in {@link WINDOW_SECONDS} before that pair is blocked for as long. */
export const WRONG_PASSWORDS_PER_CHAT = 5;
const WINDOW_SECONDS = 15 * 60;

/**
 * The password gate of a web chat: the password is a generic secret of the flow's owner (named by
 * `web.chat(name, { password })`), checked against its argon2id hash (`@node-rs/argon2`), made once per
 * version of the secret and kept in `web_chats.password_hash`. Wrong guesses are counted per (address,
 * chat) in Redis (`rate-limiter-flexible`, shared by every api process); a right one clears the count.
 */
@Injectable()
export class WebChatPasswordService {
  private readonly limiter: RateLimiterRedis;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) redis: Redis,
    private readonly secrets: SecretsService,
    private readonly chats: WebChatsRepository,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: false,
      keyPrefix: redisKey(config, 'webchat', 'password'),
      points: WRONG_PASSWORDS_PER_CHAT,
      duration: WINDOW_SECONDS,
      blockDuration: WINDOW_SECONDS,
    });
  }

  /**
   * Whether `password` opens `chat` (whose options name the secret `secretName`) for a visitor at `address`.
   * @throws CodedError RATE_LIMITED (429, `details.retryAfter` in seconds) after too many wrong ones;
   *   WEB_CHAT_PASSWORD_WRONG (401); WEB_CHAT_CLOSED (503) when the owner has no generic secret of that name.
   */
  async check(chat: KeyedWebChat, secretName: string, password: string, address: string): Promise<void> {
    const pair = `${address}|${chat.chat.id}`;
    const counted = await this.limiter.get(pair);
    if (counted && counted.remainingPoints <= 0) throw rateLimited(counted);
    const stored = await this.hashOf(chat, secretName);
    if (await verify(stored, password)) {
      await this.limiter.delete(pair);
      return;
    }
    try {
      await this.limiter.consume(pair);
    } catch (reason) {
      if (reason instanceof RateLimiterRes) throw rateLimited(reason);
      throw reason;
    }
    throw new CodedError('WEB_CHAT_PASSWORD_WRONG', 'wrong password');
  }

  /** The argon2id hash of the secret's current value: the cached one while the secret is unchanged. */
  private async hashOf(chat: KeyedWebChat, secretName: string): Promise<string> {
    const ownerId = chat.flow.ownerId;
    const summary = await this.secrets.summaryOf(ownerId, secretName);
    if (!summary || summary.kind !== 'generic') {
      throw new CodedError('WEB_CHAT_CLOSED', 'this chat cannot be opened: its password is not set up');
    }
    const source = `${secretName}@${summary.updatedAt}`;
    if (chat.chat.passwordHash && chat.chat.passwordSource === source) return chat.chat.passwordHash;
    const secret = await this.secrets.reveal(ownerId, secretName);
    if (!secret) throw new CodedError('WEB_CHAT_CLOSED', 'this chat cannot be opened: its password is not set up');
    const made = await hash(secret.value, ARGON2);
    await this.chats.setPasswordHash(chat.chat.id, made, source);
    return made;
  }
}

function rateLimited(res: RateLimiterRes): CodedError {
  const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new CodedError('RATE_LIMITED', `too many wrong passwords: try again in ${retryAfter} s`, { details: { retryAfter } });
}
