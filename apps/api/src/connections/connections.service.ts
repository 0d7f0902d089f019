import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { GithubTokenError, GithubTokensService, SubscriptionRegistrationService } from '@openflows/github';
import type { ConnectionView } from './connections.dto';

/** Connected accounts for the REST API, with their status and its reason; never their credentials. */
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly tokens: GithubTokensService,
    private readonly registration: SubscriptionRegistrationService,
  ) {}

  /** An owner's connections, oldest first. */
  async list(ownerId: string): Promise<ConnectionView[]> {
    const rows = await this.connections.list(ownerId);
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map(view);
  }

  /**
   * Connects the owner's GitHub account with a token (checked with GitHub, see GithubTokensService),
   * then creates the repository webhooks the owner's live flows wait for.
   * @throws BadRequestException `{ code: TOKEN_MISSING | TOKEN_INVALID | TOKEN_SCOPE, message }` with the reason in plain words;
   *   ConflictException `TOKEN_TAKEN` when another user connected that GitHub account.
   */
  async connectGithubToken(ownerId: string, token: unknown): Promise<ConnectionView> {
    let connection: Connection;
    try {
      connection = await this.tokens.connect(ownerId, token);
    } catch (error) {
      if (!(error instanceof GithubTokenError)) throw error;
      const body = { statusCode: error.status, code: error.code, message: error.message };
      throw error.status === 409 ? new ConflictException(body) : new BadRequestException(body);
    }
    await this.registration.sync(ownerId);
    return view(connection);
  }

  /**
   * Disconnects: forgets the connection and its credentials. Events of that account then reach no
   * flow; the app stays installed on the vendor's side until removed there. A token connection's
   * repository webhooks are deleted from GitHub first (best effort); the owner's flows are re-checked
   * (their subscriptions may become unregistered).
   * @throws NotFoundException for an unknown id or another owner's connection.
   */
  async remove(ownerId: string, id: string): Promise<void> {
    const connection = await this.connections.findOwned(ownerId, id);
    if (!connection) throw new NotFoundException(`no connection ${id}`);
    if (connection.kind === 'token') await this.registration.releaseConnection(connection);
    if (!(await this.connections.delete(ownerId, id))) throw new NotFoundException(`no connection ${id}`);
    if (connection.provider === 'github') await this.registration.sync(ownerId);
  }
}

/** Picks the fields to show: `credentials` is left out on purpose. */
function view(row: Connection): ConnectionView {
  return {
    id: row.id,
    provider: row.provider,
    kind: row.kind,
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
