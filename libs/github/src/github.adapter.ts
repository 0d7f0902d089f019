import { Injectable, Logger } from '@nestjs/common';
import {
  errorMessage,
  failingCapabilities,
  type ConnectResult,
  type EventRouting,
  type ProviderAdapter,
  type ProviderCard,
  type ProviderConnections,
  type ProviderRunBinding,
  type ProviderSubscriptions,
  type RoutedEvent,
  type SubscriptionDeclaration,
} from '@openflows/common';
import { ConnectionsRepository, RepositoryWebhooksRepository, type Connection } from '@openflows/db';
import { SdkError, type FlowLogger, type GithubContext } from '@openflows/sdk';
import { GITHUB_CAPABILITIES, githubCapabilities, isGithubEffect } from './github-capabilities';
import { GithubAppService } from './github-app.service';
import { GithubIngress } from './github-ingress';
import { GithubTokensService } from './github-tokens.service';
import { InstallationsService } from './installations.service';
import { SubscriptionRegistrationService } from './subscription-registration.service';

/** The parts of a GitHub webhook payload routing and runs read (payloads as sent by GitHub, see X-GitHub-Event). */
interface GithubPayload {
  repository?: { name?: string; owner?: { login?: string } };
  installation?: { id?: number };
}

const NO_REPOSITORY: GithubContext = { repo: { owner: '', repo: '' } };

const CARD: ProviderCard = {
  title: 'GitHub',
  icon: 'GH',
  connectedText: 'GitHub is connected. Flows on the repositories it covers now receive their events.',
  empty: 'Not connected. Install the OpenFlows GitHub App on the repositories your flows serve: issues and comments there start runs.',
  authorize: { label: 'Connect GitHub', url: '/connect/github' },
  fields: [
    {
      name: 'token',
      label: 'GitHub personal access token',
      secret: true,
      hint: 'classic token with the repo and admin:repo_hook scopes',
    },
  ],
  fieldsLabel: 'Or use a personal access token instead of the App',
  source: 'github.repo(owner, repo)',
  docs: 'github',
};

/** What the card lists under a connection: a few of its repositories. */
function repositoryLine(repositories: string[]): string {
  if (repositories.length === 0) return 'No repositories.';
  if (repositories.length <= 5) return repositories.join(', ');
  return `${repositories.slice(0, 5).join(', ')} and ${repositories.length - 5} more`;
}

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

  /** Accounts: the App's installations (`/connect/github`) and tokens (`POST /api/connections/github { token }`). */
  readonly connections: ProviderConnections = {
    card: () => CARD,
    connect: (ownerId, body) => this.connectToken(ownerId, body),
    disconnect: async (connection) => {
      if (connection.kind === 'token') await this.registration.releaseConnection(connection as Connection);
    },
    details: (connection) =>
      connection.kind === 'installation' || connection.kind === 'token' ? [repositoryLine(connection.repositories)] : [],
  };

  /** A subscription counts as registered while an installation or a repository webhook of the owner delivers its event there. */
  readonly subscriptions: ProviderSubscriptions = {
    check: async (ownerId, subscriptions) => (await this.registration.check(ownerId, subscriptions)).map((s) => s.registered),
    explain: async (unregistered: SubscriptionDeclaration[], ownerId: string) =>
      (await this.registration.reason(
        ownerId,
        unregistered.map((s) => ({ ...s, registered: false })),
      )) ?? '',
    sync: async (ownerId) => {
      await this.registration.sync(ownerId);
    },
  };

  constructor(
    private readonly installations: InstallationsService,
    private readonly registration: SubscriptionRegistrationService,
    private readonly connectionRows: ConnectionsRepository,
    private readonly webhooks: RepositoryWebhooksRepository,
    private readonly app: GithubAppService,
    private readonly tokens: GithubTokensService,
    readonly ingress: GithubIngress,
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
    const connection = await this.connectionRows.findInstallation(String(installationId));
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
      return { context, capabilities: githubCapabilities(client), isEffect: isGithubEffect };
    } catch (error) {
      return { context, capabilities: failingCapabilities(GITHUB_CAPABILITIES, () => error as Error) };
    }
  }

  /**
   * A run of another provider's event (a schedule tick, an endpoint request) gets a client for the
   * repository the flow's `owner` and `repo` variables name, through the owner's App installation or
   * token connection covering it (`github.context.repo` is that repository); unbound without them.
   */
  async bindAside(ownerId: string, env: Record<string, string>, log: FlowLogger): Promise<ProviderRunBinding | undefined> {
    if (!env.owner || !env.repo) return undefined;
    const context: GithubContext = { repo: { owner: env.owner, repo: env.repo } };
    try {
      const client = await this.app.clientFor(ownerId, `${env.owner}/${env.repo}`.toLowerCase());
      return { context, capabilities: githubCapabilities(client), isEffect: isGithubEffect };
    } catch (error) {
      log.warn(`github: ${errorMessage(error)}`);
      return { context, capabilities: failingCapabilities(GITHUB_CAPABILITIES, () => error as Error) };
    }
  }

  unbound(): ProviderRunBinding {
    const error = () =>
      new SdkError('GITHUB_NOT_CONNECTED', 'github is only bound for GitHub events and flows with owner and repo variables');
    return { context: NO_REPOSITORY, capabilities: failingCapabilities(GITHUB_CAPABILITIES, error) };
  }

  /**
   * Connects the owner's GitHub account with a token (checked with GitHub, see GithubTokensService),
   * then creates the repository webhooks the owner's live flows wait for.
   * @throws GithubTokenError `TOKEN_MISSING`, `TOKEN_INVALID`, `TOKEN_SCOPE` (400), `TOKEN_TAKEN` (409).
   */
  private async connectToken(ownerId: string, body: unknown): Promise<ConnectResult> {
    const token = body && typeof body === 'object' ? (body as { token?: unknown }).token : undefined;
    const connection = await this.tokens.connect(ownerId, token);
    await this.registration.sync(ownerId);
    return { connectionId: connection.id };
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
