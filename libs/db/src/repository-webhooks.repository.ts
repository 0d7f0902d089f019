import { Inject, Injectable } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from './database';
import { connections, repositoryWebhooks, type ConnectionStatus } from './schema';
import { DATABASE } from './tokens';

export type RepositoryWebhook = typeof repositoryWebhooks.$inferSelect;

/**
 * Repository webhooks the platform created through GitHub token connections, one per (connection,
 * repository). The only code that queries the repository_webhooks table.
 */
@Injectable()
export class RepositoryWebhooksRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Records a hook GitHub created. @returns the row, or undefined when the connection already has one
   * on that repository (another process created it first; the caller removes its duplicate on GitHub).
   */
  async insert(input: {
    connectionId: string;
    repository: string;
    hookId: string;
    events: string[];
  }): Promise<RepositoryWebhook | undefined> {
    const [row] = await this.db.insert(repositoryWebhooks).values(input).onConflictDoNothing().returning();
    return row;
  }

  /** Records the events a hook now delivers. */
  async setEvents(id: string, events: string[]): Promise<void> {
    await this.db
      .update(repositoryWebhooks)
      .set({ events, updatedAt: sql`now()` })
      .where(eq(repositoryWebhooks.id, id));
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(repositoryWebhooks).where(eq(repositoryWebhooks.id, id));
  }

  /** The hooks created through one connection. */
  async listByConnection(connectionId: string): Promise<RepositoryWebhook[]> {
    return this.db.select().from(repositoryWebhooks).where(eq(repositoryWebhooks.connectionId, connectionId));
  }

  /** The hooks created through any of an owner's connections. */
  async listByOwner(ownerId: string): Promise<RepositoryWebhook[]> {
    return this.db
      .select({ hook: repositoryWebhooks })
      .from(repositoryWebhooks)
      .innerJoin(connections, eq(connections.id, repositoryWebhooks.connectionId))
      .where(eq(connections.ownerId, ownerId))
      .then((rows) => rows.map((r) => r.hook));
  }

  /** The owners of every connection that has a hook, for a re-check of all of them. */
  async owners(): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ ownerId: connections.ownerId })
      .from(repositoryWebhooks)
      .innerJoin(connections, eq(connections.id, repositoryWebhooks.connectionId));
    return rows.map((r) => r.ownerId).filter((id): id is string => id !== null);
  }

  /**
   * Who receives a delivery of `repository` (`owner/repo`, lower-case) that came through a repository
   * webhook (no `installation` field): the owners of active token connections with a hook there.
   * Only for deliveries that carry no hook id (stored before it was kept); others go by
   * {@link findByHookId}.
   */
  async ownersOfRepository(repository: string): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ ownerId: connections.ownerId })
      .from(repositoryWebhooks)
      .innerJoin(connections, eq(connections.id, repositoryWebhooks.connectionId))
      .where(and(eq(repositoryWebhooks.repository, repository), eq(connections.status, 'active')));
    return rows.map((r) => r.ownerId).filter((id): id is string => id !== null);
  }

  /**
   * The hook GitHub knows by `hookId` (`X-GitHub-Hook-ID` of a delivery, a decimal string), with the
   * owner and status of the connection that created it: what routing attributes a repository webhook
   * delivery by. Undefined when no connection has (or still has) such a hook.
   */
  async findByHookId(
    hookId: string,
  ): Promise<(RepositoryWebhook & { ownerId: string | null; connectionStatus: ConnectionStatus }) | undefined> {
    const [row] = await this.db
      .select({ hook: repositoryWebhooks, ownerId: connections.ownerId, connectionStatus: connections.status })
      .from(repositoryWebhooks)
      .innerJoin(connections, eq(connections.id, repositoryWebhooks.connectionId))
      .where(eq(repositoryWebhooks.hookId, hookId))
      .limit(1);
    return row && { ...row.hook, ownerId: row.ownerId, connectionStatus: row.connectionStatus };
  }
}
