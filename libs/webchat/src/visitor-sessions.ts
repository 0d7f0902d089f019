import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';
import { TRANSCRIPT_TTL_SECONDS } from './conversation-transcript';

/** A visitor's session of one chat: who they are to the flow, their conversation, their role, the gate. */
export interface VisitorSession {
  /** The session token (the cookie's value); never shown to flows. */
  token: string;
  /** The chat (a `web_chats` row id) the session belongs to. */
  chatId: string;
  /** The pseudonymous visitor id flows see (`web.context.sender.id`), derived from the token. */
  visitor: string;
  /** The current conversation (a new one after "New chat"). */
  conversation: string;
  /** The next message starts the conversation over (set by "New chat"). */
  restart: boolean;
  /** The picked role's name, if the chat has roles. */
  role?: string;
  /** The visitor entered the chat's password. */
  unlocked: boolean;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Visitors' sessions in Redis, one hash per session under the SHA-256 of its token (a copy of Redis
 * holds no usable cookie), kept {@link TRANSCRIPT_TTL_SECONDS} after the last request. A token is 32
 * random bytes (base64url); a session is bound to the chat it was made for.
 */
@Injectable()
export class VisitorSessions {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The session `token` names for `chatId` (its lifetime renewed), or undefined when it is unknown, expired or another chat's. */
  async find(chatId: string, token: string | undefined): Promise<VisitorSession | undefined> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const key = this.key(token);
    const fields = await this.redis.hgetall(key);
    if (fields.chatId !== chatId) return undefined;
    await this.redis.expire(key, TRANSCRIPT_TTL_SECONDS);
    return {
      token,
      chatId,
      visitor: fields.visitor,
      conversation: fields.conversation,
      restart: fields.restart === '1',
      role: fields.role || undefined,
      unlocked: fields.unlocked === '1',
    };
  }

  /** A new session of `chatId`, its first conversation fresh. */
  async create(chatId: string, role?: string): Promise<VisitorSession> {
    const token = randomBytes(32).toString('base64url');
    const session: VisitorSession = {
      token,
      chatId,
      visitor: `visitor-${digest(`visitor:${token}`).slice(0, 16)}`,
      conversation: randomUUID(),
      restart: false,
      role,
      unlocked: false,
    };
    await this.save(session);
    return session;
  }

  /** Writes the session's fields and renews its lifetime. */
  async save(session: VisitorSession): Promise<void> {
    const key = this.key(session.token);
    const fields = {
      chatId: session.chatId,
      visitor: session.visitor,
      conversation: session.conversation,
      restart: session.restart ? '1' : '0',
      role: session.role ?? '',
      unlocked: session.unlocked ? '1' : '0',
    };
    await this.redis.multi().hset(key, fields).expire(key, TRANSCRIPT_TTL_SECONDS).exec();
  }

  private key(token: string): string {
    return redisKey(this.config, 'webchat', 'session', digest(token));
  }
}
