import { Injectable } from '@nestjs/common';
import { CodedError, type ProviderAdapter } from '@openflows/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { ProviderRegistry, RegistrationService } from '@openflows/providers';
import type { ConnectionView, ProviderView } from './connections.dto';

/**
 * Connected accounts for the REST API, provider by provider through their adapters, with their status
 * and its reason; never their credentials.
 */
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly registry: ProviderRegistry,
    private readonly registration: RegistrationService,
  ) {}

  /** Every provider's connection card, in registry order (`GET /api/providers`). */
  providers(): ProviderView[] {
    return this.registry.adapters.map((adapter) => ({ id: adapter.id, ...adapter.connections.card() }));
  }

  /** An owner's connections, oldest first. */
  async list(ownerId: string): Promise<ConnectionView[]> {
    const rows = await this.connections.list(ownerId);
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((row) => this.view(row));
  }

  /**
   * `POST /api/connections/<provider>`: connects an account with the credentials in `body` (the
   * provider's card lists its fields), then lets every provider re-check the owner's subscriptions.
   * @throws CodedError PROVIDER_UNKNOWN, CONNECT_INVALID for a provider connected in the browser only,
   *   and the provider's own (CREDENTIALS_INVALID, CONNECTION_TAKEN, VENDOR_FAILED, GitHub's TOKEN_*).
   */
  async connect(ownerId: string, provider: string, body: unknown): Promise<ConnectionView> {
    const adapter = this.adapter(provider);
    if (!adapter.connections.connect) {
      const where = adapter.connections.card().authorize?.url;
      throw new CodedError(
        'CONNECT_INVALID',
        `${provider} is connected in the browser${where ? ` at ${where}` : ''}, not with credentials`,
      );
    }
    const { connectionId, webhookUrl } = await adapter.connections.connect(ownerId, body);
    await this.registration.sync(ownerId);
    const row = await this.connections.findOwned(ownerId, connectionId);
    if (!row) throw new CodedError('CONNECTION_NOT_FOUND', `no connection ${connectionId}`);
    return { ...this.view(row), ...(webhookUrl ? { webhookUrl } : {}) };
  }

  /**
   * Disconnects: the provider undoes what it registered with the vendor (a token's repository
   * webhooks, Telegram's webhook; best effort), the connection and its credentials are deleted, and the
   * owner's subscriptions are re-checked (some may become unregistered). Events of that account then
   * reach no flow; an app stays installed on the vendor's side until removed there.
   * @throws CodedError `CONNECTION_NOT_FOUND` for an unknown id or another owner's connection.
   */
  async remove(ownerId: string, id: string): Promise<void> {
    const connection = await this.connections.findOwned(ownerId, id);
    if (!connection) throw notFound(id);
    await this.registry.get(connection.provider)?.connections.disconnect?.(connection);
    if (!(await this.connections.delete(ownerId, id))) throw notFound(id);
    await this.registration.sync(ownerId);
  }

  private adapter(provider: string): ProviderAdapter {
    const adapter = this.registry.get(provider);
    if (!adapter) throw new CodedError('PROVIDER_UNKNOWN', `no provider "${provider}"`);
    return adapter;
  }

  /** Picks the fields to show: `credentials` is left out on purpose. */
  private view(row: Connection): ConnectionView {
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
      details: this.registry.get(row.provider)?.connections.details(row) ?? [],
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}

const notFound = (id: string) => new CodedError('CONNECTION_NOT_FOUND', `no connection ${id}`);
