import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from './database';
import { apiTokens, users, type UserProvider } from './schema';
import { DATABASE } from './tokens';

export type User = typeof users.$inferSelect;

/** A personal API token as listings show it: never the token, which only its creator saw once. */
export interface ApiTokenSummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A token just issued: the summary plus the token itself, to be shown once. */
export interface IssuedApiToken extends ApiTokenSummary {
  token: string;
}

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

  /**
   * Turns the built-in local user into the install's local account (first run): sets its login,
   * password hash (argon2id PHC string) and the admin flag. Everything the local user already owns
   * stays theirs. @returns undefined when a local account already has a password (setup was done).
   */
  async setUpLocalAccount(login: string, passwordHash: string): Promise<User | undefined> {
    await this.local();
    const [row] = await this.db
      .update(users)
      .set({ login, passwordHash, admin: true })
      .where(and(eq(users.provider, 'local'), eq(users.externalId, LOCAL_USER), isNull(users.passwordHash)))
      .returning();
    return row;
  }

  /** Whether the first-run setup created the local account (it has a password). */
  async hasLocalAccount(): Promise<boolean> {
    const [row] = await this.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.provider, 'local'), isNotNull(users.passwordHash)));
    return Boolean(row);
  }

  /** The local account of that login, if it has a password; undefined otherwise. */
  async findLocalAccount(login: string): Promise<User | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(and(eq(users.provider, 'local'), eq(users.login, login), isNotNull(users.passwordHash)));
    return row;
  }

  async findById(id: string): Promise<User | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    return row;
  }

  /**
   * Issues a personal API token for a user: 32 random bytes (base64url, prefixed `oft_`), of which only
   * the SHA-256 hash is stored. @returns the token with its summary; the token is to be shown once.
   */
  async issueToken(userId: string, name = 'API token'): Promise<IssuedApiToken> {
    const token = `oft_${randomBytes(32).toString('base64url')}`;
    const [row] = await this.db
      .insert(apiTokens)
      .values({ userId, name, tokenHash: hashApiToken(token) })
      .returning({ id: apiTokens.id, name: apiTokens.name, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt });
    return { ...row, token };
  }

  /** A user's tokens, newest first. */
  async listTokens(userId: string): Promise<ApiTokenSummary[]> {
    return this.db
      .select({ id: apiTokens.id, name: apiTokens.name, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt })
      .from(apiTokens)
      .where(eq(apiTokens.userId, userId))
      .orderBy(desc(apiTokens.createdAt));
  }

  /** Revokes one of a user's tokens. @returns false when the user has no token of that id. */
  async revokeToken(userId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(apiTokens)
      .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId)))
      .returning({ id: apiTokens.id });
    return rows.length > 0;
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
