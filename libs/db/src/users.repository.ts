import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from './database';
import { apiTokens, users, type UserProvider } from './schema';
import { DATABASE } from './tokens';

export type User = typeof users.$inferSelect;

/** The external id and login of the built-in user of single-user mode. */
export const LOCAL_USER = 'local';

/** SHA-256 of a token, hex: what `api_tokens` stores and looks tokens up by. */
export const hashApiToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Users and their personal API tokens. The only code that queries those tables. */
@Injectable()
export class UsersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Creates the user of (provider, external id) or updates its login; returns the row. */
  async upsert(input: { provider: UserProvider; externalId: string; login: string }): Promise<User> {
    const [row] = await this.db
      .insert(users)
      .values(input)
      .onConflictDoUpdate({ target: [users.provider, users.externalId], set: { login: input.login } })
      .returning();
    return row;
  }

  /** The built-in local user of single-user mode, created on first use. */
  async local(): Promise<User> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(and(eq(users.provider, 'local'), eq(users.externalId, LOCAL_USER)));
    return row ?? this.upsert({ provider: 'local', externalId: LOCAL_USER, login: LOCAL_USER });
  }

  async findById(id: string): Promise<User | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    return row;
  }

  /**
   * Issues a personal API token for a user: 32 random bytes (base64url, prefixed `oft_`), of which only
   * the SHA-256 hash is stored. @returns the token, to be shown once.
   */
  async issueToken(userId: string): Promise<string> {
    const token = `oft_${randomBytes(32).toString('base64url')}`;
    await this.db.insert(apiTokens).values({ userId, tokenHash: hashApiToken(token) });
    return token;
  }

  /** The user a token belongs to, recording its use; undefined for an unknown token. */
  async findByToken(token: string): Promise<User | undefined> {
    const [row] = await this.db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(apiTokens.tokenHash, hashApiToken(token)))
      .returning({ userId: apiTokens.userId });
    return row ? this.findById(row.userId) : undefined;
  }
}
