import { Injectable, Logger } from '@nestjs/common';
import type { ProviderAdapter } from '@openflows/common';
import { EventsRepository, FlowsRepository, type MatchedFlow, type StoredEvent } from '@openflows/db';
import { ProviderRegistry } from '@openflows/providers';
import { RunDispatchService } from '@openflows/runs';

/**
 * Routes a stored event through its provider's adapter: the connection bookkeeping it carries
 * (installations, uninstalls), then one queued run per subscribed flow of the owners it reaches, each
 * on the runs partition of its (flow, conversation) so a conversation keeps its order.
 */
@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);

  constructor(
    private readonly events: EventsRepository,
    private readonly flows: FlowsRepository,
    private readonly dispatcher: RunDispatchService,
    private readonly providers: ProviderRegistry,
  ) {}

  /** Routes one event; safe to repeat (runs and run jobs have deterministic identities). */
  async route(eventId: string): Promise<{ runs: number }> {
    const event = await this.events.findById(eventId);
    if (!event) {
      this.logger.warn(`event ${eventId} is gone; nothing to route`);
      return { runs: 0 };
    }
    const adapter = this.providers.get(event.provider);
    if (adapter) await adapter.applyBookkeeping(event);
    const matches = adapter ? await this.matches(event, adapter) : [];
    const runs = await this.dispatcher.dispatch(event, matches);
    await this.events.setStatus(event.id, 'routed');
    return { runs: runs.length };
  }

  /** Subscribed live flows of each owner the event reaches, under every target and event name its adapter gives. */
  private async matches(event: StoredEvent, adapter: ProviderAdapter): Promise<MatchedFlow[]> {
    const routing = await adapter.route(event);
    if ('dropped' in routing) {
      this.logger.debug(`${event.provider} event ${event.deliveryId} not routed: ${routing.dropped}`);
      return [];
    }
    const matched = await Promise.all(
      routing.owners.map((owner) => this.flows.match(event.provider, routing.targets, routing.events, owner)),
    );
    const only = routing.flows;
    return only ? matched.flat().filter((m) => only.includes(m.flowId)) : matched.flat();
  }
}
