import { Injectable, Logger } from '@nestjs/common';
import {
  errorMessage,
  failingCapabilities,
  type EventRouting,
  type ProviderAdapter,
  type ProviderRunBinding,
  type RoutedEvent,
} from '@openflows/common';
import { ConnectionsRepository, RepositoryWebhooksRepository } from '@openflows/db';
import { SdkError, type FlowLogger, type GithubContext } from '@openflows/sdk';
import { GITHUB_CAPABILITIES, githubCapabilities } from './github-capabilities';
import { GithubAppService } from './github-app.service';
import { InstallationsService } from './installations.service';
import { SubscriptionRegistrationService } from './subscription-registration.service';

/** The parts of a GitHub webhook payload routing and runs read (payloads as sent by GitHub, see X-GitHub-Event). */
interface GithubPayload {
  repository?: { name?: string; owner?: { login?: string } };
  installation?: { id?: number };
}

const NO_REPOSITORY: GithubContext = { repo: { owner: '', repo: '' } };

/**
 * GitHub as a provider: installation bookkeeping (and the subscription registration it changes), owner
 * routing — an App delivery reaches the flows of whoever connected its installation, one without
 * `installation` came through a repository webhook and reaches the owner of the token connection whose
 * hook it came through — and the installation's (or the token's) Octokit bound into runs.
 */
@Injectable()
export class GithubAdapter implements ProviderAdapter {
  readonly id = 'github';
  private readonly logger = new Logger(GithubAdapter.name);

  constructor(
    private readonly installations: InstallationsService,
    private readonly registration: SubscriptionRegistrationService,
    private readonly connections: ConnectionsRepository,
    private readonly webhooks: RepositoryWebhooksRepository,
    private readonly app: GithubAppService,
  ) {}

  async applyBookkeeping(event: RoutedEvent): Promise<void> {
    if (!this.installations.handles(event.name)) return;
    await this.installations.apply(event.name, event.payload as never);
    await this.registration.refresh();
  }

  async route(event: RoutedEvent): Promise<EventRouting> {
    if (!event.target) return { dropped: 'not a repository event' };
    const routed = (owners: string[]) => ({ owners, targets: [event.target as string], events: [event.name] });
    const installationId = (event.payload as GithubPayload).installation?.id;
    if (installationId === undefined) return routed(await this.hookOwners(event, event.target));
    const connection = await this.connections.findInstallation(String(installationId));
    return routed(connection?.ownerId ? [connection.ownerId] : []);
  }

  /** Resolved before the flow starts because the SDK's `github.context` is read synchronously. */
  async bindRun(ownerId: string, event: RoutedEvent, log: FlowLogger): Promise<ProviderRunBinding> {
    const payload = event.payload as GithubPayload;
    const context: GithubContext = { repo: { owner: payload.repository?.owner?.login ?? '', repo: payload.repository?.name ?? '' } };
    try {
      context.botLogin = await this.app.botLogin();
    } catch (error) {
      log.warn(`could not read the GitHub App's identity: ${errorMessage(error)}`);
    }
    try {
      const client = await this.app.clientFor(ownerId, event.target ?? undefined, payload.installation?.id);
      return { context, capabilities: githubCapabilities(client) };
    } catch (error) {
      return { context, capabilities: failingCapabilities(GITHUB_CAPABILITIES, () => error as Error) };
    }
  }

  unbound(): ProviderRunBinding {
    const error = () => new SdkError('GITHUB_NOT_CONNECTED', 'github is only bound for GitHub events');
    return { context: NO_REPOSITORY, capabilities: failingCapabilities(GITHUB_CAPABILITIES, error) };
  }

  /**
   * Owners a GitHub delivery without `installation` (a repository webhook's) is for. With the hook id
   * the ingress kept (`X-GitHub-Hook-ID`): the owner of the active token connection whose hook on the
   * event's repository has that id, or nobody (each of GitHub's deliveries, one per hook, reaches one
   * owner, however many have a hook on the repository). Without one (events stored before hook ids
   * were kept, and their replays): every owner of an active token connection with a hook there.
   */
  private async hookOwners(event: RoutedEvent, target: string): Promise<string[]> {
    if (!event.hookId) return this.webhooks.ownersOfRepository(target);
    const hook = await this.webhooks.findByHookId(event.hookId);
    const skip = (why: string) => {
      this.logger.debug(`GitHub event ${event.deliveryId} (hook ${event.hookId}) not routed: ${why}`);
      return [];
    };
    if (!hook) return skip('no token connection has this hook');
    if (hook.repository !== target) return skip(`the hook is on ${hook.repository}, not on ${target}`);
    if (hook.connectionStatus !== 'active') return skip(`the hook's connection is ${hook.connectionStatus}`);
    return hook.ownerId ? [hook.ownerId] : skip("the hook's connection has no owner");
  }
}
