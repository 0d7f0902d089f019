import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, signInEnabled, type AppConfig } from '@openflows/common';
import { ConnectionsRepository, UsersRepository } from '@openflows/db';

interface InstallationPayload {
  action?: string;
  installation?: {
    id: number;
    account?: { login?: string; type?: string } | null;
    repository_selection?: 'all' | 'selected';
    permissions?: Record<string, string>;
  };
  /** On `installation_repositories`: the selection after the change (switching to or from "all"). */
  repository_selection?: 'all' | 'selected';
  repositories?: { full_name: string }[];
  repositories_added?: { full_name: string }[];
  repositories_removed?: { full_name: string }[];
}

const names = (repos: { full_name: string }[] | undefined) => (repos ?? []).map((r) => r.full_name.toLowerCase());

/**
 * Keeps the connections table in step with GitHub's `installation` and `installation_repositories`
 * events (payloads as GitHub sends them, see X-GitHub-Event): `created` records it,
 * `new_permissions_accepted` its new permissions, `suspend` → `error` (reason `suspended`),
 * `unsuspend` → `active`, `deleted` → `revoked` (reason `installation_deleted`).
 */
@Injectable()
export class InstallationsService {
  private readonly logger = new Logger(InstallationsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
    private readonly users: UsersRepository,
  ) {}

  /** Whether this service handles events of that name. */
  handles(eventName: string): boolean {
    return eventName === 'installation' || eventName === 'installation_repositories';
  }

  /** Applies one event; unknown actions are ignored. */
  async apply(eventName: string, payload: InstallationPayload): Promise<void> {
    const installation = payload.installation;
    if (!installation) return;
    const id = String(installation.id);
    if (eventName === 'installation_repositories') {
      const selection = payload.repository_selection ?? installation.repository_selection;
      await this.connections.changeRepositories(id, names(payload.repositories_added), names(payload.repositories_removed), selection);
      return;
    }
    // The owner accepted permissions the App asked for: what it grants changes, not what it covers.
    if (payload.action === 'new_permissions_accepted' && (await this.connections.findInstallation(id))) {
      await this.connections.setPermissions(id, installation.permissions ?? {});
      return;
    }
    switch (payload.action) {
      case 'created':
      case 'new_permissions_accepted':
        await this.connections.upsertInstallation({
          installationId: id,
          accountLogin: installation.account?.login ?? 'unknown',
          accountType: installation.account?.type,
          repositorySelection: installation.repository_selection ?? 'selected',
          repositories: names(payload.repositories),
          permissions: installation.permissions ?? {},
          status: 'active',
          ownerId: await this.ownerOfUnclaimed(),
        });
        break;
      case 'unsuspend':
        await this.connections.setStatus(id, 'active', null);
        break;
      // The connection states of the API (issue 3): suspended is there but unusable, deleted is gone.
      case 'suspend':
        await this.connections.setStatus(id, 'error', 'suspended');
        break;
      case 'deleted':
        await this.connections.setStatus(id, 'revoked', 'installation_deleted');
        break;
      default:
        this.logger.debug(`installation action ${payload.action} ignored`);
    }
  }

  /**
   * Who owns an installation first seen in an event: in single-user mode the local user; with sign-in,
   * nobody until a user claims it through `/connect/github` (undefined keeps an existing owner).
   */
  private async ownerOfUnclaimed(): Promise<string | undefined> {
    return signInEnabled(this.config) ? undefined : (await this.users.local()).id;
  }
}
