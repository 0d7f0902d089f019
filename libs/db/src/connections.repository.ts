import { Inject, Injectable } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from './database';
import { connections, type ConnectionStatus } from './schema';
import { DATABASE } from './tokens';

export type Connection = typeof connections.$inferSelect;

/** A GitHub App installation as the platform keeps it. */
export interface InstallationRecord {
  installationId: string;
  accountLogin: string;
  accountType?: string;
  repositorySelection: 'all' | 'selected';
  /** `owner/repo`, lower-case. */
  repositories: string[];
  permissions: Record<string, string>;
  status: ConnectionStatus;
}

/** Connected accounts (GitHub App installations). The only code that queries the connections table. */
@Injectable()
export class ConnectionsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Inserts or replaces what is known about an installation. */
  async upsertInstallation(record: InstallationRecord): Promise<Connection> {
    const values = {
      provider: 'github',
      externalId: record.installationId,
      accountLogin: record.accountLogin,
      accountType: record.accountType,
      repositorySelection: record.repositorySelection,
      repositories: record.repositories,
      permissions: record.permissions,
      status: record.status,
    };
    const [row] = await this.db
      .insert(connections)
      .values(values)
      .onConflictDoUpdate({ target: [connections.provider, connections.externalId], set: { ...values, updatedAt: sql`now()` } })
      .returning();
    return row;
  }

  async findInstallation(installationId: string): Promise<Connection | undefined> {
    const [row] = await this.db
      .select()
      .from(connections)
      .where(and(eq(connections.provider, 'github'), eq(connections.externalId, installationId)));
    return row;
  }

  /** Adds and removes repositories of an installation and, when given, records its new repository selection. */
  async changeRepositories(installationId: string, added: string[], removed: string[], selection?: 'all' | 'selected'): Promise<void> {
    const existing = await this.findInstallation(installationId);
    if (!existing) return;
    const next = new Set(existing.repositories);
    added.forEach((r) => next.add(r));
    removed.forEach((r) => next.delete(r));
    await this.db
      .update(connections)
      .set({ repositories: [...next].sort(), ...(selection ? { repositorySelection: selection } : {}), updatedAt: sql`now()` })
      .where(eq(connections.id, existing.id));
  }

  async setStatus(installationId: string, status: ConnectionStatus): Promise<void> {
    await this.db
      .update(connections)
      .set({ status, updatedAt: sql`now()` })
      .where(and(eq(connections.provider, 'github'), eq(connections.externalId, installationId)));
  }

  /** The active installation that covers `owner/repo` (lower-case), if any. */
  async findActiveForRepo(target: string): Promise<Connection | undefined> {
    const owner = target.split('/')[0];
    const [row] = await this.db
      .select()
      .from(connections)
      .where(
        and(
          eq(connections.provider, 'github'),
          eq(connections.status, 'active'),
          sql`(${connections.repositories} @> ${JSON.stringify([target])}::jsonb or (${connections.repositorySelection} = 'all' and lower(${connections.accountLogin}) = ${owner}))`,
        ),
      )
      .limit(1);
    return row;
  }

  async list(): Promise<Connection[]> {
    return this.db.select().from(connections);
  }
}
