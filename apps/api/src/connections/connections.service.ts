import { Injectable, NotFoundException } from '@nestjs/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import type { ConnectionView } from './connections.dto';

/** Connected accounts for the REST API, with their status and its reason; never their credentials. */
@Injectable()
export class ConnectionsService {
  constructor(private readonly connections: ConnectionsRepository) {}

  /** An owner's connections, oldest first. */
  async list(ownerId: string): Promise<ConnectionView[]> {
    const rows = await this.connections.list(ownerId);
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map(view);
  }

  /**
   * Disconnects: forgets the connection and its credentials. Events of that account then reach no
   * flow; the app stays installed on the vendor's side until removed there.
   * @throws NotFoundException for an unknown id or another owner's connection.
   */
  async remove(ownerId: string, id: string): Promise<void> {
    if (!(await this.connections.delete(ownerId, id))) throw new NotFoundException(`no connection ${id}`);
  }
}

/** Picks the fields to show: `credentials` is left out on purpose. */
function view(row: Connection): ConnectionView {
  return {
    id: row.id,
    provider: row.provider,
    externalId: row.externalId,
    account: row.accountLogin,
    status: row.status,
    reason: row.statusReason,
    botUserId: row.botUserId,
    repositories: row.repositories,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
