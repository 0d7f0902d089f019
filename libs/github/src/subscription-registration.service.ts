import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import {
  ConnectionsRepository,
  FlowsRepository,
  RepositoryWebhooksRepository,
  type Connection,
  type RepositoryWebhook,
  type SubscriptionSpec,
} from '@openflows/db';
import { GithubTokensService } from './github-tokens.service';

/** What {@link SubscriptionRegistrationService.refresh} and `sync` changed: repositories each way. */
export interface RegistrationChanges {
  registered: string[];
  unregistered: string[];
}

const sameEvents = (a: string[], b: string[]) => a.length === b.length && a.every((e, i) => e === b[i]);
const statusOf = (error: unknown) => (error as { status?: number }).status;

/**
 * Whether the platform receives the events a flow subscribes to, as flows.network checks it: a GitHub
 * subscription is registered while an active App installation of the flow's owner covers its
 * repository, or — for repositories no installation covers — while a repository webhook the platform
 * created with one of the owner's token connections (`admin:repo_hook`) delivers there. Used by the
 * api at deploy and undeploy and by the worker after `installation`/`installation_repositories`
 * events, so a flow deployed before the App was installed on its repository becomes `running` by itself.
 * Subscriptions of other providers are always registered (Slack channels resolve when events arrive).
 */
@Injectable()
export class SubscriptionRegistrationService {
  private readonly logger = new Logger(SubscriptionRegistrationService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
    private readonly flows: FlowsRepository,
    private readonly webhooks: RepositoryWebhooksRepository,
    private readonly tokens: GithubTokensService,
  ) {}

  /** Where a user installs the App: `<PUBLIC_URL>/connect/github`. */
  get installUrl(): string {
    return `${this.config.publicUrl}/connect/github`;
  }

  /**
   * The subscriptions of a flow of `ownerId` with `registered` set: false for a GitHub repository no
   * active installation of that owner covers (another user's installation does not count) and no
   * webhook of the owner's token connections serves yet. {@link sync} after the deploy creates what
   * is missing and corrects the flags.
   */
  async check<T extends SubscriptionSpec>(ownerId: string, subscriptions: T[]): Promise<(T & { registered: boolean })[]> {
    const hooked = new Set((await this.webhooks.listByOwner(ownerId)).map((h) => h.repository));
    const covered = new Map<string, boolean>();
    for (const { target } of subscriptions.filter((s) => s.provider === 'github')) {
      if (!covered.has(target)) {
        covered.set(target, hooked.has(target) || (await this.connections.findActiveForRepo(target, ownerId)) !== undefined);
      }
    }
    return subscriptions.map((s) => ({ ...s, registered: s.provider !== 'github' || covered.get(s.target) === true }));
  }

  /**
   * What a user should do about unregistered subscriptions, one sentence per repository ("No GitHub
   * App installation covers owner/repo: install the App at <PUBLIC_URL>/connect/github, or connect a
   * token with admin:repo_hook …"); undefined when every subscription is registered.
   */
  reason(subscriptions: (SubscriptionSpec & { registered: boolean })[]): string | undefined {
    const targets = [...new Set(subscriptions.filter((s) => !s.registered).map((s) => s.target))];
    if (targets.length === 0) return undefined;
    return targets
      .map(
        (t) =>
          `No GitHub App installation covers ${t}: install the App at ${this.installUrl}, ` +
          `or connect a token with admin:repo_hook of an account that administers ${t} (POST /api/connections/github-token)`,
      )
      .join('; ');
  }

  /**
   * Checks every GitHub repository live flows subscribe to again, after installations changed, owner
   * by owner with {@link sync}: newly covered ones become registered, ones no longer covered
   * (installation deleted, suspended, repository removed, no webhook possible) unregistered.
   * @returns the repositories whose registration changed, each way.
   */
  async refresh(): Promise<RegistrationChanges> {
    const owners = new Set([...(await this.flows.liveTargets('github')).map((t) => t.ownerId), ...(await this.webhooks.owners())]);
    const changed: RegistrationChanges = { registered: [], unregistered: [] };
    for (const ownerId of owners) {
      const { registered, unregistered } = await this.sync(ownerId);
      changed.registered.push(...registered);
      changed.unregistered.push(...unregistered);
    }
    return changed;
  }

  /**
   * Brings one owner's repository webhooks and registration flags in line with their live flows:
   * for each GitHub repository live flows listen to that no installation of the owner covers, a hook
   * (`POST /repos/{owner}/{repo}/hooks`, config url `<PUBLIC_URL>/webhooks/github`, content type json,
   * secret `GITHUB_WEBHOOK_SECRET`, events = the union the flows listen to) is created with the first
   * of the owner's token connections GitHub lets do it, or its events updated (`PATCH …/hooks/{id}`);
   * hooks no live flow needs any more (or that an installation now makes redundant) are deleted
   * (`DELETE …/hooks/{id}`, best effort: a hook GitHub no longer has is simply forgotten). Call it after
   * deploy, undeploy, deleting a flow or a connection. Failures to create leave the repository
   * unregistered (see {@link reason}); GitHub's answer is logged.
   * @returns the repositories whose registration changed, each way.
   */
  async sync(ownerId: string): Promise<RegistrationChanges> {
    const live = await this.flows.liveSubscriptions('github', ownerId);
    const wanted = new Map<string, Set<string>>();
    for (const { target, event } of live) wanted.set(target, (wanted.get(target) ?? new Set()).add(event));
    const tokens = await this.connections.activeTokens(ownerId);
    const tokenIds = new Set(tokens.map((t) => t.id));
    const registered = new Map<string, boolean>();
    const desired = new Map<string, string[]>();
    for (const [target, events] of wanted) {
      const installed = (await this.connections.findActiveForRepo(target, ownerId)) !== undefined;
      registered.set(target, installed);
      if (!installed) desired.set(target, [...events].sort());
    }

    for (const hook of await this.webhooks.listByOwner(ownerId)) {
      const events = desired.get(hook.repository);
      const connection = tokens.find((t) => t.id === hook.connectionId);
      if (!events || !connection || !tokenIds.has(hook.connectionId) || registered.get(hook.repository)) {
        if (connection) await this.deleteHook(connection, hook);
        else await this.webhooks.delete(hook.id);
        continue;
      }
      if (!sameEvents(events, hook.events)) await this.updateHook(connection, hook, events);
      registered.set(hook.repository, true);
      desired.delete(hook.repository);
    }

    for (const [target, events] of desired) {
      for (const connection of tokens) {
        if (await this.createHook(connection, target, events)) {
          registered.set(target, true);
          break;
        }
      }
    }

    const changed: RegistrationChanges = { registered: [], unregistered: [] };
    for (const [target, isRegistered] of registered) {
      if ((await this.flows.setRegistered(ownerId, 'github', target, isRegistered)) > 0) {
        (isRegistered ? changed.registered : changed.unregistered).push(target);
      }
    }
    if (changed.registered.length + changed.unregistered.length > 0) {
      this.logger.log(
        `GitHub subscriptions registered: [${changed.registered.join(', ')}], unregistered: [${changed.unregistered.join(', ')}]`,
      );
    }
    return changed;
  }

  /**
   * Before a token connection is deleted: removes the hooks created through it from GitHub (best
   * effort) and their rows. Call {@link sync} for the owner afterwards.
   */
  async releaseConnection(connection: Connection): Promise<void> {
    for (const hook of await this.webhooks.listByConnection(connection.id)) await this.deleteHook(connection, hook);
  }

  private async createHook(connection: Connection, target: string, events: string[]): Promise<boolean> {
    const secret = this.config.github.webhookSecret;
    if (!secret) {
      this.logger.warn(`no webhook created on ${target}: GITHUB_WEBHOOK_SECRET is not set`);
      return false;
    }
    const [owner, repo] = target.split('/');
    const octokit = await this.tokens.clientOf(connection);
    let hookId: number;
    try {
      const { data } = await octokit.request('POST /repos/{owner}/{repo}/hooks', {
        owner,
        repo,
        name: 'web',
        active: true,
        events,
        config: { url: `${this.config.publicUrl}/webhooks/github`, content_type: 'json', secret, insecure_ssl: '0' },
      });
      hookId = data.id;
    } catch (error) {
      this.logger.warn(
        `could not create a webhook on ${target} as ${connection.accountLogin}: GitHub answered ${statusOf(error) ?? String(error)}`,
      );
      return false;
    }
    const row = await this.webhooks.insert({ connectionId: connection.id, repository: target, hookId: String(hookId), events });
    if (!row) {
      // Another process created this connection's hook on the repository meanwhile: keep one.
      await octokit.request('DELETE /repos/{owner}/{repo}/hooks/{hook_id}', { owner, repo, hook_id: hookId }).catch(() => undefined);
    } else {
      this.logger.log(`webhook ${hookId} created on ${target} as ${connection.accountLogin} for [${events.join(', ')}]`);
    }
    return true;
  }

  private async updateHook(connection: Connection, hook: RepositoryWebhook, events: string[]): Promise<void> {
    const [owner, repo] = hook.repository.split('/');
    try {
      await (
        await this.tokens.clientOf(connection)
      ).request('PATCH /repos/{owner}/{repo}/hooks/{hook_id}', { owner, repo, hook_id: Number(hook.hookId), events, active: true });
      await this.webhooks.setEvents(hook.id, events);
    } catch (error) {
      this.logger.warn(
        `could not update webhook ${hook.hookId} on ${hook.repository}: GitHub answered ${statusOf(error) ?? String(error)}`,
      );
    }
  }

  private async deleteHook(connection: Connection, hook: RepositoryWebhook): Promise<void> {
    const [owner, repo] = hook.repository.split('/');
    try {
      await (
        await this.tokens.clientOf(connection)
      ).request('DELETE /repos/{owner}/{repo}/hooks/{hook_id}', { owner, repo, hook_id: Number(hook.hookId) });
      this.logger.log(`webhook ${hook.hookId} deleted from ${hook.repository}`);
    } catch (error) {
      this.logger.warn(
        `could not delete webhook ${hook.hookId} on ${hook.repository} (forgotten anyway): ${statusOf(error) ?? String(error)}`,
      );
    }
    await this.webhooks.delete(hook.id);
  }
}
