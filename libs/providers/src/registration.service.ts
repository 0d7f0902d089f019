import { Injectable, Logger } from '@nestjs/common';
import { CodedError, errorMessage, type FlowRef, type SubscriptionDeclaration } from '@openflows/common';
import { ProviderRegistry } from './provider-registry';

/**
 * Subscription registration across providers: whether the vendor delivers what a deployment listens
 * to, and what the user should do when it does not. Each provider answers for its own subscriptions
 * (ProviderAdapter.subscriptions); one without that part counts every subscription as registered.
 */
@Injectable()
export class RegistrationService {
  private readonly logger = new Logger(RegistrationService.name);

  constructor(private readonly registry: ProviderRegistry) {}

  /**
   * `subscriptions` of a flow of `ownerId`, in order, with `registered` set by their providers.
   * @throws CodedError FLOW_INVALID for a provider the platform does not speak (a typo in the flow's source).
   */
  async check<T extends SubscriptionDeclaration>(ownerId: string, subscriptions: T[]): Promise<(T & { registered: boolean })[]> {
    const registered = new Map<T, boolean>();
    for (const [provider, group] of this.byProvider(subscriptions)) {
      const adapter = this.registry.get(provider);
      if (!adapter) {
        const known = this.registry.adapters.map((a) => a.id).join(', ');
        throw new CodedError('FLOW_INVALID', `run() listens to provider "${provider}", which this platform does not speak (${known})`);
      }
      const flags = adapter.subscriptions ? await adapter.subscriptions.check(ownerId, group) : group.map(() => true);
      group.forEach((s, i) => registered.set(s, flags[i] === true));
    }
    return subscriptions.map((s) => ({ ...s, registered: registered.get(s) ?? false }));
  }

  /**
   * What `ownerId` should do about the unregistered ones among `subscriptions`, provider by provider;
   * undefined when all are registered.
   */
  async reason(ownerId: string, subscriptions: (SubscriptionDeclaration & { registered: boolean })[]): Promise<string | undefined> {
    const sentences: string[] = [];
    for (const [provider, group] of this.byProvider(subscriptions.filter((s) => !s.registered))) {
      sentences.push(
        (await this.registry.get(provider)?.subscriptions?.explain(group, ownerId)) ?? `provider ${provider} is not available`,
      );
    }
    return sentences.length === 0 ? undefined : sentences.join('; ');
  }

  /** Lets every provider bring the owner's registrations in line with their live flows and connections (see ProviderSubscriptions.sync). */
  async sync(ownerId: string): Promise<void> {
    for (const adapter of this.registry.adapters) {
      try {
        await adapter.subscriptions?.sync(ownerId);
      } catch (error) {
        this.logger.warn(`${adapter.id}: could not sync the subscriptions of owner ${ownerId}: ${errorMessage(error)}`);
      }
    }
  }

  /**
   * What providers set up for a flow's live `subscriptions`, for its API view (ProviderSubscriptions.describe):
   * the HTTP endpoints' and web chats' URLs, the schedules' next ticks… merged into one object.
   */
  async describe(flow: FlowRef, subscriptions: SubscriptionDeclaration[]): Promise<Record<string, unknown>> {
    const parts = await Promise.all(
      [...this.byProvider(subscriptions)].map(([provider, group]) => this.registry.get(provider)?.subscriptions?.describe?.(flow, group)),
    );
    return Object.assign({}, ...parts.filter(Boolean)) as Record<string, unknown>;
  }

  private byProvider<T extends SubscriptionDeclaration>(subscriptions: T[]): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const s of subscriptions) groups.set(s.provider, [...(groups.get(s.provider) ?? []), s]);
    return groups;
  }
}
