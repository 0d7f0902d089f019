import { Inject, Injectable } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from './database';
import { connections, type ConnectionKind, type ConnectionStatus } from './schema';

/** Rows of GitHub App installations only: token connections share the provider but not the id space. */
const installationRows = and(eq(connections.provider, 'github'), eq(connections.kind, 'installation'));
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
  /** Why the status is not `active` (e.g. `suspended`); none when active. */
  statusReason?: string | null;
  /** The user who connected it; left out (undefined), an upsert keeps the owner on record. */
  ownerId?: string;
}

/** A Slack workspace installation as the platform keeps it; `credentials` is already sealed. */
export interface WorkspaceRecord {
  teamId: string;
  teamName: string;
  botUserId: string;
  credentials: string;
  /** The user who installed the app into the workspace. */
  ownerId: string;
}

/** A GitHub account connected with a token; `credentials` is already sealed. */
export interface TokenRecord {
  /** The GitHub user id (`GET /user` → `id`). */
  githubUserId: string;
  login: string;
  /** The token's OAuth scopes (`X-OAuth-Scopes`), kept as `{ scope: 'granted' }` permissions. */
  scopes: string[];
  credentials: string;
  ownerId: string;
}

/** An account connected with credentials the owner gave (a chat bot's token, a chat app's id and secret); `credentials` is already sealed by its provider. */
export interface AccountRecord {
  provider: string;
  kind: ConnectionKind;
  /** The vendor's id of the account (Telegram: the bot's user id; Feishu/Lark: the app id). */
  externalId: string;
  /** Its name (Telegram: the bot's username). */
  accountLogin: string;
  /** The account's own user, whose messages are never routed to flows. */
  botUserId?: string | null;
  credentials: string;
  ownerId: string;
}

/**
 * Connected accounts (GitHub App installations, GitHub token connections, Slack workspaces, accounts
 * connected with credentials such as chat bots). The only code that queries the connections table.
 */
@Injectable()
export class ConnectionsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Inserts or replaces what is known about an installation. */
  async upsertInstallation(record: InstallationRecord): Promise<Connection> {
    const values = {
      provider: 'github',
      kind: 'installation' as const,
      externalId: record.installationId,
      accountLogin: record.accountLogin,
      accountType: record.accountType,
      repositorySelection: record.repositorySelection,
      repositories: record.repositories,
      permissions: record.permissions,
      status: record.status,
      statusReason: record.statusReason ?? null,
      ownerId: record.ownerId,
    };
    return this.upsert(values);
  }

  /** The installation row of a GitHub App installation id (never a token connection), whatever its status. */
  async findInstallation(installationId: string): Promise<Connection | undefined> {
    const [row] = await this.db
      .select()
      .from(connections)
      .where(and(installationRows, eq(connections.externalId, installationId)));
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

  /** Records the permissions an installation granted (after its owner accepted new ones). */
  async setPermissions(installationId: string, permissions: Record<string, string>): Promise<void> {
    await this.db
      .update(connections)
      .set({ permissions, updatedAt: sql`now()` })
      .where(and(installationRows, eq(connections.externalId, installationId)));
  }

  /** Records an installation's status and why (e.g. `revoked`, `installation_deleted`; null when active). */
  async setStatus(installationId: string, status: ConnectionStatus, reason: string | null): Promise<void> {
    await this.db
      .update(connections)
      .set({ status, statusReason: reason, updatedAt: sql`now()` })
      .where(and(installationRows, eq(connections.externalId, installationId)));
  }

  /** An owner's active installation that covers `owner/repo` (lower-case), if any. */
  async findActiveForRepo(target: string, ownerId: string): Promise<Connection | undefined> {
    const owner = target.split('/')[0];
    const [row] = await this.db
      .select()
      .from(connections)
      .where(
        and(
          installationRows,
          eq(connections.ownerId, ownerId),
          eq(connections.status, 'active'),
          sql`(${connections.repositories} @> ${JSON.stringify([target])}::jsonb or (${connections.repositorySelection} = 'all' and lower(${connections.accountLogin}) = ${owner}))`,
        ),
      )
      .limit(1);
    return row;
  }

  /**
   * Inserts or replaces a GitHub account connected with a token (kind `token`, `externalId` = GitHub
   * user id), active. A reconnect replaces the token and the owner.
   */
  async upsertToken(record: TokenRecord): Promise<Connection> {
    return this.upsert({
      provider: 'github',
      kind: 'token',
      externalId: record.githubUserId,
      accountLogin: record.login,
      accountType: 'User',
      // A token reaches whatever its user administers; the repositories it serves are its webhooks.
      repositorySelection: 'selected',
      repositories: [],
      permissions: Object.fromEntries(record.scopes.map((scope) => [scope, 'granted'])),
      credentials: record.credentials,
      ownerId: record.ownerId,
      status: 'active',
      statusReason: null,
    });
  }

  /** The token connection of a GitHub user id, whatever its owner and status. */
  async findToken(githubUserId: string): Promise<Connection | undefined> {
    const [row] = await this.db
      .select()
      .from(connections)
      .where(and(eq(connections.provider, 'github'), eq(connections.kind, 'token'), eq(connections.externalId, githubUserId)));
    return row;
  }

  /** An owner's active GitHub token connections, oldest first. */
  async activeTokens(ownerId: string): Promise<Connection[]> {
    return this.db
      .select()
      .from(connections)
      .where(
        and(
          eq(connections.provider, 'github'),
          eq(connections.kind, 'token'),
          eq(connections.ownerId, ownerId),
          eq(connections.status, 'active'),
        ),
      )
      .orderBy(connections.createdAt);
  }

  /** One of an owner's connections by id; undefined for an unknown id or another owner's. */
  async findOwned(ownerId: string, id: string): Promise<Connection | undefined> {
    const [row] = await this.db
      .select()
      .from(connections)
      .where(and(eq(connections.id, id), eq(connections.ownerId, ownerId)));
    return row;
  }

  /** A connection by id, whatever its owner. */
  async findById(id: string): Promise<Connection | undefined> {
    const [row] = await this.db.select().from(connections).where(eq(connections.id, id));
    return row;
  }

  /** Inserts or replaces a Slack workspace (a re-install reactivates a revoked one). */
  async upsertWorkspace(record: WorkspaceRecord): Promise<Connection> {
    const values = {
      provider: 'slack',
      kind: 'workspace' as const,
      externalId: record.teamId,
      accountLogin: record.teamName,
      // A workspace installation covers every channel its bot is in; there is no repository list.
      repositorySelection: 'all' as const,
      botUserId: record.botUserId,
      credentials: record.credentials,
      ownerId: record.ownerId,
      status: 'active' as const,
      statusReason: null,
    };
    return this.upsert(values);
  }

  async findWorkspace(teamId: string): Promise<Connection | undefined> {
    const [row] = await this.db
      .select()
      .from(connections)
      .where(and(eq(connections.provider, 'slack'), eq(connections.externalId, teamId)));
    return row;
  }

  /** Replaces a workspace's sealed credentials (after a token refresh). */
  async setWorkspaceCredentials(teamId: string, credentials: string): Promise<void> {
    await this.db
      .update(connections)
      .set({ credentials, updatedAt: sql`now()` })
      .where(and(eq(connections.provider, 'slack'), eq(connections.externalId, teamId)));
  }

  /** Records a workspace's status and why (e.g. `revoked`, `app_uninstalled`). */
  async setWorkspaceStatus(teamId: string, status: ConnectionStatus, reason: string | null): Promise<void> {
    await this.db
      .update(connections)
      .set({ status, statusReason: reason, updatedAt: sql`now()` })
      .where(and(eq(connections.provider, 'slack'), eq(connections.externalId, teamId)));
  }

  /**
   * Inserts an account (active), or replaces its name, credentials and bot user when `ownerId` already
   * has it (a reconnect, which also makes it active again). Atomic on the unique key
   * (provider, kind, external id).
   * @returns the row, or undefined when another owner connected that account (nothing changed then).
   */
  async upsertOwnedAccount(record: AccountRecord): Promise<Connection | undefined> {
    const values = {
      ...record,
      botUserId: record.botUserId ?? null,
      // An account connected by its credentials covers all its chats; there is no repository list.
      repositorySelection: 'all' as const,
      status: 'active' as const,
      statusReason: null,
    };
    const [row] = await this.db
      .insert(connections)
      .values(values)
      .onConflictDoUpdate({
        target: [connections.provider, connections.kind, connections.externalId],
        set: { ...values, updatedAt: sql`now()` },
        setWhere: eq(connections.ownerId, record.ownerId),
      })
      .returning();
    return row;
  }

  /** The row of `provider`'s account of `kind` whose vendor id is `externalId`, whatever its owner and status. */
  async findAccount(provider: string, kind: ConnectionKind, externalId: string): Promise<Connection | undefined> {
    const [row] = await this.db
      .select()
      .from(connections)
      .where(and(eq(connections.provider, provider), eq(connections.kind, kind), eq(connections.externalId, externalId)));
    return row;
  }

  /** Records a connection's status and why (e.g. `error`, `webhook_failed`; null when active), by its id. */
  async setStatusById(id: string, status: ConnectionStatus, reason: string | null): Promise<void> {
    await this.db
      .update(connections)
      .set({ status, statusReason: reason, updatedAt: sql`now()` })
      .where(eq(connections.id, id));
  }

  /** Every connection of `provider` of that kind, of every owner and status, oldest first. */
  async listAccounts(provider: string, kind: ConnectionKind): Promise<Connection[]> {
    return this.db
      .select()
      .from(connections)
      .where(and(eq(connections.provider, provider), eq(connections.kind, kind)))
      .orderBy(connections.createdAt);
  }

  /** Removes an owner's connection with its credentials. @returns whether the owner had it. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(connections)
      .where(and(eq(connections.id, id), eq(connections.ownerId, ownerId)))
      .returning({ id: connections.id });
    return rows.length > 0;
  }

  /** An owner's connections. */
  async list(ownerId: string): Promise<Connection[]> {
    return this.db.select().from(connections).where(eq(connections.ownerId, ownerId));
  }

  /** One row per (provider, kind, external id): a reconnect replaces what was known. */
  private async upsert(values: typeof connections.$inferInsert): Promise<Connection> {
    const [row] = await this.db
      .insert(connections)
      .values(values)
      .onConflictDoUpdate({
        target: [connections.provider, connections.kind, connections.externalId],
        set: { ...values, updatedAt: sql`now()` },
      })
      .returning();
    return row;
  }
}
