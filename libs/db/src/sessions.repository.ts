import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { and, eq, gt, lte } from 'drizzle-orm';
import type { Database } from './database';
import { sessions, users } from './schema';
import { DATABASE } from './tokens';
import { hashApiToken, type User } from './users.repository';

/**
 * Dashboard sessions. The browser's cookie holds a random token (32 bytes, base64url); only its
 * SHA-256 hash is stored, so a read of the table signs no one in.
 */
@Injectable()
export class SessionsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Starts a session for a user, valid for `ttlMs` milliseconds. @returns the cookie's token. */
  async create(userId: string, ttlMs: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db.insert(sessions).values({ userId, tokenHash: hashApiToken(token), expiresAt: new Date(Date.now() + ttlMs) });
    return token;
  }

  /** The user of a live session; undefined for an unknown or expired token. */
  async findUser(token: string): Promise<User | undefined> {
    const [row] = await this.db
      .select({ user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, hashApiToken(token)), gt(sessions.expiresAt, new Date())));
    return row?.user;
  }

  /** Ends a session (sign-out); unknown tokens are ignored. */
  async delete(token: string): Promise<void> {
    await this.db.delete(sessions).where(eq(sessions.tokenHash, hashApiToken(token)));
  }

  /** Forgets expired sessions. @returns how many. */
  async deleteExpired(now = new Date()): Promise<number> {
    const rows = await this.db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ id: sessions.id });
    return rows.length;
  }
}
