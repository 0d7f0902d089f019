import { Injectable, Logger } from '@nestjs/common';
import {
  ConnectionsRepository,
  EventsRepository,
  FlowsRepository,
  RepositoryWebhooksRepository,
  type MatchedFlow,
  type StoredEvent,
} from '@openflows/db';
import { InstallationsService, SubscriptionRegistrationService } from '@openflows/github';
import { RunDispatchService } from '@openflows/runs';
import { SlackRoutingService, SlackWorkspacesService, type SlackEventCallback } from '@openflows/slack';

/**
 * Routes a stored event: provider bookkeeping (installations and the subscriptions they register,
 * Slack uninstalls), then one queued run per subscribed flow of the connected account's owner, each on
 * the runs partition of its (flow, conversation) so a conversation keeps its order.
 */
@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);

  constructor(
    private readonly events: EventsRepository,
    private readonly flows: FlowsRepository,
    private readonly dispatcher: RunDispatchService,
    private readonly connections: ConnectionsRepository,
    private readonly webhooks: RepositoryWebhooksRepository,
    private readonly installations: InstallationsService,
    private readonly registration: SubscriptionRegistrationService,
    private readonly slackWorkspaces: SlackWorkspacesService,
    private readonly slackRouting: SlackRoutingService,
  ) {}

  /** Routes one event; safe to repeat (runs and run jobs have deterministic identities). */
  async route(eventId: string): Promise<{ runs: number }> {
    const event = await this.events.findById(eventId);
    if (!event) {
      this.logger.warn(`event ${eventId} is gone; nothing to route`);
      return { runs: 0 };
    }
    if (event.provider === 'github' && this.installations.handles(event.name)) {
      await this.installations.apply(event.name, event.payload as never);
      await this.registration.refresh();
    }
    if (event.provider === 'slack' && this.slackWorkspaces.handles(event.name)) {
      const body = event.payload as SlackEventCallback;
      await this.slackWorkspaces.apply(body.team_id, body.event);
    }
    const matches = await this.matches(event);
    const runs = await this.dispatcher.dispatch(event, matches);
    await this.events.setStatus(event.id, 'routed');
    return { runs: runs.length };
  }

  /**
   * Subscribed flows of the owner of the account the event came through: a GitHub event reaches the
   * flows of whoever connected its installation (none while nobody has); one without an `installation`
   * field came through a repository webhook the platform created with a token connection, and reaches
   * the flows of that connection's owner, found by the hook id the delivery carried (see
   * {@link hookOwners}). A Slack event reaches those of the
   * workspace's owner, under each name of its channel (and `message.<subtype>` for subtypes flows opt
   * into) unless it is dropped.
   */
  private async matches(event: StoredEvent): Promise<MatchedFlow[]> {
    if (!event.target) return [];
    if (event.provider !== 'slack') {
      const installationId = (event.payload as { installation?: { id?: number } }).installation?.id;
      if (installationId === undefined) {
        const owners = await this.hookOwners(event, event.target);
        const matched = await Promise.all(owners.map((owner) => this.flows.match(event.provider, event.target!, event.name, owner)));
        return matched.flat();
      }
      const connection = await this.connections.findInstallation(String(installationId));
      return connection?.ownerId ? this.flows.match(event.provider, event.target, event.name, connection.ownerId) : [];
    }
    const routing = await this.slackRouting.targets(event);
    if ('dropped' in routing) {
      this.logger.debug(`Slack event ${event.deliveryId} not routed: ${routing.dropped}`);
      return [];
    }
    const owner = routing.session.ownerId;
    return owner ? this.flows.match(event.provider, routing.targets, routing.events, owner) : [];
  }

  /**
   * Owners a GitHub delivery without `installation` (a repository webhook's) is for. With the hook id
   * the ingress kept (`X-GitHub-Hook-ID`): the owner of the active token connection whose hook on the
   * event's repository has that id, or nobody (each of GitHub's deliveries, one per hook, reaches one
   * owner, however many have a hook on the repository). Without one (events stored before hook ids
   * were kept, and their replays): every owner of an active token connection with a hook there.
   */
  private async hookOwners(event: StoredEvent, target: string): Promise<string[]> {
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
