import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { ConnectionsRepository, FlowsRepository, type SubscriptionSpec } from '@openflows/db';

/**
 * Whether the platform receives the events a flow subscribes to, as flows.network checks it: a GitHub
 * subscription is registered while an active App installation of the flow's owner covers its repository. Used by the api
 * at deploy and by the worker after `installation`/`installation_repositories` events, so a flow
 * deployed before the App was installed on its repository becomes `running` by itself.
 * Subscriptions of other providers are always registered (Slack channels resolve when events arrive).
 */
@Injectable()
export class SubscriptionRegistrationService {
  private readonly logger = new Logger(SubscriptionRegistrationService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
    private readonly flows: FlowsRepository,
  ) {}

  /** Where a user installs the App: `<PUBLIC_URL>/connect/github`. */
  get installUrl(): string {
    return `${this.config.publicUrl}/connect/github`;
  }

  /**
   * The subscriptions of a flow of `ownerId` with `registered` set: false for a GitHub repository no
   * active installation of that owner covers (another user's installation does not count).
   */
  async check<T extends SubscriptionSpec>(ownerId: string, subscriptions: T[]): Promise<(T & { registered: boolean })[]> {
    const covered = new Map<string, boolean>();
    for (const { target } of subscriptions.filter((s) => s.provider === 'github')) {
      if (!covered.has(target)) covered.set(target, (await this.connections.findActiveForRepo(target, ownerId)) !== undefined);
    }
    return subscriptions.map((s) => ({ ...s, registered: s.provider !== 'github' || covered.get(s.target) === true }));
  }

  /**
   * What a user should do about unregistered subscriptions, one sentence per repository
   * ("No GitHub App installation covers owner/repo: install the App at <PUBLIC_URL>/connect/github");
   * undefined when every subscription is registered.
   */
  reason(subscriptions: (SubscriptionSpec & { registered: boolean })[]): string | undefined {
    const targets = [...new Set(subscriptions.filter((s) => !s.registered).map((s) => s.target))];
    if (targets.length === 0) return undefined;
    return targets.map((t) => `No GitHub App installation covers ${t}: install the App at ${this.installUrl}`).join('; ');
  }

  /**
   * Checks every GitHub repository live flows subscribe to again, after installations changed: newly
   * covered ones become registered, ones no longer covered (installation deleted, suspended, repository
   * removed) unregistered.
   * @returns the repositories whose registration changed, each way.
   */
  async refresh(): Promise<{ registered: string[]; unregistered: string[] }> {
    const changed = { registered: [] as string[], unregistered: [] as string[] };
    for (const { ownerId, target, registered } of await this.flows.liveTargets('github')) {
      const covered = (await this.connections.findActiveForRepo(target, ownerId)) !== undefined;
      if (covered === registered) continue;
      await this.flows.setRegistered(ownerId, 'github', target, covered);
      (covered ? changed.registered : changed.unregistered).push(target);
    }
    if (changed.registered.length + changed.unregistered.length > 0) {
      this.logger.log(
        `GitHub subscriptions registered: [${changed.registered.join(', ')}], unregistered: [${changed.unregistered.join(', ')}]`,
      );
    }
    return changed;
  }
}
