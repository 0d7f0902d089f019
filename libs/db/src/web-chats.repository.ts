import { Inject, Injectable } from '@nestjs/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from './database';
import { flows, subscriptions, webChats } from './schema';
import { DATABASE } from './tokens';

export type WebChat = typeof webChats.$inferSelect;

/**
 * A web chat key with the flow it opens, as a request to `/chat/<key>` resolves it: `live` when the
 * flow's live deployment still declares the chat, with the `options` it declared it with
 * (`web.chat(name, options)`: title, roles, password…).
 */
export interface KeyedWebChat {
  chat: WebChat;
  flow: typeof flows.$inferSelect;
  live: boolean;
  options: Record<string, unknown> | null;
}

/** The keys of web chats' URLs and their cached password hashes. The only code that queries the web_chats table. */
@Injectable()
export class WebChatsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * The keys of `flowId`'s chats named in `wanted` (chat → new key to store when it has none):
   * existing keys are kept, the missing ones stored. @returns chat → key, for every one of `wanted`.
   */
  async ensure(flowId: string, wanted: Record<string, string>): Promise<Record<string, string>> {
    const chats = Object.keys(wanted);
    if (chats.length === 0) return {};
    await this.db
      .insert(webChats)
      .values(chats.map((chat) => ({ flowId, chat, key: wanted[chat] })))
      .onConflictDoNothing({ target: [webChats.flowId, webChats.chat] });
    const rows = await this.db
      .select({ chat: webChats.chat, key: webChats.key })
      .from(webChats)
      .where(and(eq(webChats.flowId, flowId), inArray(webChats.chat, chats)));
    return Object.fromEntries(rows.map((row) => [row.chat, row.key]));
  }

  /**
   * The chat and flow `key` opens, and the options of the live deployment's `message` subscription of
   * `provider` to it (one query: this runs for every visitor request), or undefined for a key that does
   * not exist (never made, rotated away, flow purged).
   */
  async findByKey(key: string, provider: string): Promise<KeyedWebChat | undefined> {
    const [row] = await this.db
      .select({ chat: webChats, flow: flows, subscription: subscriptions.id, options: subscriptions.options })
      .from(webChats)
      .innerJoin(flows, eq(flows.id, webChats.flowId))
      .leftJoin(
        subscriptions,
        and(
          eq(subscriptions.deploymentId, flows.activeDeploymentId),
          eq(subscriptions.provider, provider),
          eq(subscriptions.target, webChats.chat),
        ),
      )
      .where(eq(webChats.key, key))
      .limit(1);
    return row && { chat: row.chat, flow: row.flow, live: row.subscription !== null, options: row.options };
  }

  /** The chat `chat` of `flowId`, if it has a key. */
  async find(flowId: string, chat: string): Promise<WebChat | undefined> {
    const [row] = await this.db
      .select()
      .from(webChats)
      .where(and(eq(webChats.flowId, flowId), eq(webChats.chat, chat)))
      .limit(1);
    return row;
  }

  /** Replaces the key of `flowId`'s chat with `key`. @returns false when that chat has no key yet. */
  async rotate(flowId: string, chat: string, key: string): Promise<boolean> {
    const rows = await this.db
      .update(webChats)
      .set({ key, rotatedAt: sql`now()` })
      .where(and(eq(webChats.flowId, flowId), eq(webChats.chat, chat)))
      .returning({ id: webChats.id });
    return rows.length > 0;
  }

  /** Caches the argon2id hash of the chat's password, made from the secret `source` names (name and version). */
  async setPasswordHash(id: string, hash: string, source: string): Promise<void> {
    await this.db.update(webChats).set({ passwordHash: hash, passwordSource: source }).where(eq(webChats.id, id));
  }
}
