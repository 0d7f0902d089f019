import { Injectable } from '@nestjs/common';
import type {
  EventRouting,
  ProviderAdapter,
  ProviderCard,
  ProviderConnections,
  ProviderRunBinding,
  ProviderSubscriptions,
  RoutedEvent,
  SubscriptionDeclaration,
} from '@openflows/common';
import { ScheduleRegistry } from './schedule-registry.service';
import { SCHEDULE_PROVIDER, ownerOfTick, scheduleSpec } from './schedules';

const CARD: ProviderCard = {
  title: 'Schedules',
  icon: '⏱',
  connectedText: '',
  empty:
    "Nothing to connect: a flow's schedule.cron(expression, { timezone }) or schedule.every(ms) ticks from its deploy until it is paused or undeployed.",
  source: "schedule.cron('0 9 * * 1-5', { timezone: 'Europe/Paris' }) or schedule.every(ms)",
  docs: 'http-endpoints-and-schedules',
};

/**
 * Schedules as a provider: `schedule.cron` / `schedule.every` subscriptions become BullMQ job
 * schedulers at deploy (ScheduleRegistry, through `subscriptions.sync`), removed at undeploy and
 * pause; each tick becomes a `tick` event (ScheduleTicks, in the worker) for the owner whose
 * scheduler it is (named in the tick's delivery id).
 */
@Injectable()
export class ScheduleAdapter implements ProviderAdapter {
  readonly id = SCHEDULE_PROVIDER;

  readonly connections: ProviderConnections = { card: () => CARD, details: () => [] };

  /** `check` refuses what BullMQ could not schedule (FLOW_INVALID at deploy); `sync` makes and removes schedulers; `describe` lists the next ticks. */
  readonly subscriptions: ProviderSubscriptions = {
    check: (_ownerId, subscriptions) => Promise.resolve(this.check(subscriptions)),
    explain: () => '',
    sync: (ownerId) => this.registry.sync(ownerId),
    describe: async (flow, subscriptions) => ({ schedules: await this.registry.describe(flow, subscriptions) }),
  };

  constructor(private readonly registry: ScheduleRegistry) {}

  applyBookkeeping(): Promise<void> {
    return Promise.resolve();
  }

  route(event: RoutedEvent): Promise<EventRouting> {
    const owner = ownerOfTick(event.deliveryId);
    if (!owner || !event.target) return Promise.resolve({ dropped: 'not a tick of a schedule' });
    return Promise.resolve({ owners: [owner], targets: [event.target], events: [event.name] });
  }

  bindRun(): Promise<ProviderRunBinding> {
    return Promise.resolve(this.unbound());
  }

  unbound(): ProviderRunBinding {
    return { context: {}, capabilities: {} };
  }

  /** @throws CodedError FLOW_INVALID for a schedule BullMQ could not run. */
  private check(subscriptions: SubscriptionDeclaration[]): boolean[] {
    for (const s of subscriptions) scheduleSpec(s.target, s.options);
    return subscriptions.map(() => true);
  }
}
