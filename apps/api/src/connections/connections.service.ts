import { Injectable } from '@nestjs/common';
import { CodedError } from '@openflows/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { GithubTokensService, SubscriptionRegistrationService } from '@openflows/github';
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
   * @throws GithubTokenError `TOKEN_MISSING`, `TOKEN_INVALID`, `TOKEN_SCOPE` with the reason in plain words
   *   (answered 400), `TOKEN_TAKEN` when another user connected that GitHub account (409).
   */
  async connectGithubToken(ownerId: string, token: unknown): Promise<ConnectionView> {
    const connection = await this.tokens.connect(ownerId, token);
    await this.registration.sync(ownerId);
    return view(connection);
  }

  /**
   * Disconnects: forgets the connection and its credentials. Events of that account then reach no
   * flow; the app stays installed on the vendor's side until removed there. A token connection's
   * repository webhooks are deleted from GitHub first (best effort); the owner's flows are re-checked
   * (their subscriptions may become unregistered).
   * @throws CodedError `CONNECTION_NOT_FOUND` for an unknown id or another owner's connection.
   */
  async remove(ownerId: string, id: string): Promise<void> {
    const connection = await this.connections.findOwned(ownerId, id);
    if (!connection) throw notFound(id);
    if (connection.kind === 'token') await this.registration.releaseConnection(connection);
    if (!(await this.connections.delete(ownerId, id))) throw notFound(id);
    if (connection.provider === 'github') await this.registration.sync(ownerId);
  }
}

const notFound = (id: string) => new CodedError('CONNECTION_NOT_FOUND', `no connection ${id}`);

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
