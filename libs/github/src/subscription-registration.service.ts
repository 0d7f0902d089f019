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
import { eventCoverage, permissionLabel, type EventCoverage } from './event-coverage';
import { GithubAppService, type AppSettings } from './github-app.service';
import { GithubTokensService } from './github-tokens.service';

/** What {@link SubscriptionRegistrationService.refresh} and `sync` changed: repositories each way. */
export interface RegistrationChanges {
  registered: string[];
  unregistered: string[];
}

const sameEvents = (a: string[], b: string[]) => a.length === b.length && a.every((e, i) => e === b[i]);
const statusOf = (error: unknown) => (error as { status?: number }).status;
const keyOf = (target: string, event: string) => `${target} ${event}`;

/**
 * Whether the platform receives the events a flow subscribes to, as flows.network checks it: a GitHub
 * subscription is registered while an active App installation of the flow's owner covers its
 * repository and delivers its event — the App subscribes to the event (`GET /app` `events`) and the
 * installation granted a permission the event needs (see eventCoverage) — or, for what no
 * installation delivers, while a repository webhook the platform created with one of the owner's
 * token connections (`admin:repo_hook`) delivers there. Used by the api at deploy and undeploy and by
 * the worker after `installation`/`installation_repositories` events (incl. `new_permissions_accepted`),
 * so a flow deployed before the App was installed on its repository, or before its owner accepted the
 * permission its event needs, becomes `running` by itself.
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
    private readonly app: GithubAppService,
  ) {}

  /** Where a user installs the App: `<PUBLIC_URL>/connect/github`. */
  get installUrl(): string {
    return `${this.config.publicUrl}/connect/github`;
  }

  /**
   * The subscriptions of a flow of `ownerId` with `registered` set: false for a GitHub subscription no
   * active installation of that owner delivers (none covers the repository — another user's
   * installation does not count —, or the App does not subscribe to the event, or the installation
   * lacks its permission) and no webhook of the owner's token connections serves yet. {@link sync}
   * after the deploy creates what is missing and corrects the flags.
   */
  async check<T extends SubscriptionSpec>(ownerId: string, subscriptions: T[]): Promise<(T & { registered: boolean })[]> {
    const github = subscriptions.filter((s) => s.provider === 'github');
    if (github.length === 0) return subscriptions.map((s) => ({ ...s, registered: true }));
    const hooked = new Set((await this.webhooks.listByOwner(ownerId)).map((h) => h.repository));
    const delivers = await this.deliveries(ownerId, await this.appSettings(0));
    const covered = new Map<string, boolean>();
    for (const { target, event } of github) {
      covered.set(keyOf(target, event), hooked.has(target) || (await delivers(target, event)).covered);
    }
    return subscriptions.map((s) => ({ ...s, registered: s.provider !== 'github' || covered.get(keyOf(s.target, s.event)) === true }));
  }

  /**
   * What the owner should do about unregistered subscriptions, one sentence per repository without an
   * installation ("No GitHub App installation covers owner/repo: install the App at
   * <PUBLIC_URL>/connect/github, or connect a token with admin:repo_hook …") and per event an
   * installation does not deliver (the event to add in the App's settings, or the permission its
   * owner must accept); undefined when every subscription is registered.
   */
  async reason(ownerId: string, subscriptions: (SubscriptionSpec & { registered: boolean })[]): Promise<string | undefined> {
    const unregistered = subscriptions.filter((s) => s.provider === 'github' && !s.registered);
    if (unregistered.length === 0) return undefined;
    const app = await this.appSettings(60_000);
    const delivers = await this.deliveries(ownerId, app);
    const sentences = new Set<string>();
    for (const { target, event } of unregistered) {
      const delivery = await delivers(target, event);
      if (!delivery.installation) sentences.add(this.noInstallation(target));
      else if (!delivery.coverage.covered) sentences.add(this.notDelivered(target, event, delivery.installation, delivery.coverage, app));
      else sentences.add(`${target} now receives ${event} events: redeploy the flow to update its status`);
    }
    return [...sentences].join('; ');
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
    const app = await this.appSettings(0);
    for (const ownerId of owners) {
      const { registered, unregistered } = await this.syncWith(ownerId, app);
      changed.registered.push(...registered);
      changed.unregistered.push(...unregistered);
    }
    return changed;
  }

  /**
   * Brings one owner's repository webhooks and registration flags in line with their live flows:
   * for each GitHub repository live flows listen to, the events no installation of the owner delivers
   * (see {@link check}) get a hook (`POST /repos/{owner}/{repo}/hooks`, config url
   * `<PUBLIC_URL>/webhooks/github`, content type json, secret `GITHUB_WEBHOOK_SECRET`, events = those
   * events) created with the first of the owner's token connections GitHub lets do it, or its events
   * updated (`PATCH …/hooks/{id}`); hooks no live flow needs any more (or that an installation now
   * makes redundant) are deleted (`DELETE …/hooks/{id}`, best effort: a hook GitHub no longer has is
   * simply forgotten). Call it after deploy, undeploy, deleting a flow or a connection. Failures to
   * create leave the events unregistered (see {@link reason}); GitHub's answer is logged.
   * @returns the repositories whose registration changed, each way.
   */
  async sync(ownerId: string): Promise<RegistrationChanges> {
    return this.syncWith(ownerId, await this.appSettings(0));
  }

  private async syncWith(ownerId: string, app: AppSettings | undefined): Promise<RegistrationChanges> {
    const live = await this.flows.liveSubscriptions('github', ownerId);
    const wanted = new Map<string, Set<string>>();
    for (const { target, event } of live) wanted.set(target, (wanted.get(target) ?? new Set()).add(event));
    const tokens = await this.connections.activeTokens(ownerId);
    const tokenIds = new Set(tokens.map((t) => t.id));
    const delivers = await this.deliveries(ownerId, app);
    /** By repository: whether each event it is listened to is delivered. */
    const registered = new Map<string, Map<string, boolean>>();
    /** By repository: the events only a webhook can deliver. */
    const desired = new Map<string, string[]>();
    for (const [target, events] of wanted) {
      const flags = new Map<string, boolean>();
      for (const event of events) flags.set(event, (await delivers(target, event)).covered);
      registered.set(target, flags);
      const missing = [...events].filter((e) => !flags.get(e)).sort();
      if (missing.length > 0) desired.set(target, missing);
    }
    const serve = (target: string, events: string[]) => events.forEach((e) => registered.get(target)?.set(e, true));

    for (const hook of await this.webhooks.listByOwner(ownerId)) {
      const events = desired.get(hook.repository);
      const connection = tokens.find((t) => t.id === hook.connectionId);
      if (!events || !connection || !tokenIds.has(hook.connectionId)) {
        if (connection) await this.deleteHook(connection, hook);
        else await this.webhooks.delete(hook.id);
        continue;
      }
      if (!sameEvents(events, hook.events)) await this.updateHook(connection, hook, events);
      serve(hook.repository, events);
      desired.delete(hook.repository);
    }

    for (const [target, events] of desired) {
      for (const connection of tokens) {
        if (await this.createHook(connection, target, events)) {
          serve(target, events);
          break;
        }
      }
    }

    const changed = { registered: new Set<string>(), unregistered: new Set<string>() };
    for (const [target, flags] of registered) {
      for (const [event, isRegistered] of flags) {
        if ((await this.flows.setRegistered(ownerId, 'github', target, isRegistered, event)) > 0) {
          (isRegistered ? changed.registered : changed.unregistered).add(target);
        }
      }
    }
    const result = { registered: [...changed.registered], unregistered: [...changed.unregistered] };
    if (result.registered.length + result.unregistered.length > 0) {
      this.logger.log(
        `GitHub subscriptions registered: [${result.registered.join(', ')}], unregistered: [${result.unregistered.join(', ')}]`,
      );
    }
    return result;
  }

  /**
   * Whether the owner's installations deliver an event of a repository: the active installation of
   * `ownerId` covering it (looked up once per repository) and its coverage of the event.
   */
  private async deliveries(ownerId: string, app: AppSettings | undefined) {
    const installations = new Map<string, Promise<Connection | undefined>>();
    return async (target: string, event: string): Promise<{ installation?: Connection; coverage: EventCoverage; covered: boolean }> => {
      if (!installations.has(target)) installations.set(target, this.connections.findActiveForRepo(target, ownerId));
      const installation = await installations.get(target);
      if (!installation) return { coverage: { covered: false, missing: 'event', permissions: [] }, covered: false };
      const coverage = eventCoverage(event, app, installation.permissions);
      return { installation, coverage, covered: coverage.covered };
    };
  }

  /**
   * The App's events and permissions, at most `maxAgeMs` old; undefined when the App is not
   * configured or GitHub does not answer (then installations are checked on their permissions only).
   */
  private async appSettings(maxAgeMs: number): Promise<AppSettings | undefined> {
    try {
      return await this.app.settings(maxAgeMs);
    } catch (error) {
      this.logger.warn(`could not read the GitHub App's events (GET /app): ${statusOf(error) ?? String(error)}`);
      return undefined;
    }
  }

  private noInstallation(target: string): string {
    return (
      `No GitHub App installation covers ${target}: install the App at ${this.installUrl}, ` +
      `or connect a token with admin:repo_hook of an account that administers ${target} (POST /api/connections/github-token)`
    );
  }

  /** Why an installation does not deliver `event` on `target`, and the fix in GitHub's settings. */
  private notDelivered(
    target: string,
    event: string,
    installation: Connection,
    coverage: EventCoverage & { covered: false },
    app: AppSettings | undefined,
  ): string {
    const permissions = coverage.permissions.map(permissionLabel).join(' or ');
    const account = installation.accountLogin;
    if (coverage.missing === 'event') {
      return (
        `The GitHub App does not receive ${event} events, so ${target} gets none: in the App's settings ` +
        `(${this.appSettingsUrl(app)}) check ${event} under Subscribe to events` +
        (permissions ? ` and give it the ${permissions} permission` : '') +
        `; an owner of ${account} must then accept the new permissions, after which the flow runs by itself ` +
        `(redeploy it if the App asked for no new permission)`
      );
    }
    return (
      `The GitHub App installation on ${account} has not granted the ${permissions} permission ${event} events need: ` +
      `an owner of ${account} must accept the App's new permissions (${this.installationSettingsUrl(installation)}); ` +
      `the flow then runs by itself`
    );
  }

  /** The App's "Permissions & events" page on GitHub, under its owner's settings. */
  private appSettingsUrl(app: AppSettings | undefined): string {
    if (!app) return `${this.config.github.url}/settings/apps`;
    const base = app.owner.type === 'Organization' ? `/organizations/${app.owner.login}/settings` : '/settings';
    return `${this.config.github.url}${base}/apps/${app.slug}/permissions`;
  }

  /** Where an owner of an installation's account reviews and accepts its permissions. */
  private installationSettingsUrl(installation: Connection): string {
    const base = installation.accountType === 'Organization' ? `/organizations/${installation.accountLogin}/settings` : '/settings';
    return `${this.config.github.url}${base}/installations/${installation.externalId}`;
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
