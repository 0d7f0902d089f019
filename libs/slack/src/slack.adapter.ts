import { Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  failingCapabilities,
  type AppConfig,
  type EventRouting,
  type ProviderAdapter,
  type ProviderCard,
  type ProviderConnections,
  type ProviderRunBinding,
  type ProviderSubscriptions,
  type RoutedEvent,
  type SubscriptionDeclaration,
} from '@openflows/common';
import { ConnectionsRepository, FlowsRepository } from '@openflows/db';
import { SdkError, type SlackContext } from '@openflows/sdk';
import { slackCommandOf, type SlackEventCallback } from './envelope';
import { NO_SLACK_CONTEXT, slackCommandContextOf, slackContextOf, type SlackContextWorkspace } from './slack-context';
import { SlackIngress } from './slack-ingress';
import { SLACK_CAPABILITIES, isSlackEffect, slackCapabilities } from './slack-capabilities';
import { SlackClientService } from './slack-client.service';
import { SlackRoutingService } from './slack-routing.service';
import { SlackWorkspacesService } from './slack-workspaces.service';

const CARD: ProviderCard = {
  title: 'Slack',
  icon: 'SL',
  connectedText: 'Slack is connected. Flows on its channels now receive their messages.',
  empty: 'Not connected. Add the OpenFlows app to a workspace so flows can listen to its channels and answer there.',
  authorize: { label: 'Connect Slack', url: '/connect/slack' },
  source: 'slack.channel(team, channel)',
  docs: 'slack',
};

/** `slack.context` of a stored Slack payload: a slash command's or an Events API request's. */
function contextOf(payload: unknown, workspace: SlackContextWorkspace) {
  const command = slackCommandOf(payload);
  return command ? slackCommandContextOf(command, workspace) : slackContextOf(payload as SlackEventCallback, workspace);
}

/** The workspace part (id or name, lower-case) of a `slack.channel(team, channel)` target. */
const teamOf = (target: string) => target.slice(0, target.indexOf('/'));

/**
 * Slack as a provider: workspace bookkeeping (uninstalls, revoked tokens), routing to the flows of the
 * workspace's owner under every name of the event's channel (see SlackRoutingService), and the
 * workspace's WebClient bound into runs.
 */
@Injectable()
export class SlackAdapter implements ProviderAdapter {
  readonly id = 'slack';

  /** Workspaces, connected through OAuth (`/connect/slack`). */
  readonly connections: ProviderConnections = {
    card: () => CARD,
    details: (connection) => (connection.botUserId ? [`bot user ${connection.botUserId}`] : []),
  };

  /** A channel subscription is registered once a workspace it names (by id or name) is connected and active. */
  readonly subscriptions: ProviderSubscriptions = {
    check: async (ownerId, subscriptions) => {
      const teams = await this.connectedTeams(ownerId);
      return subscriptions.map((s) => teams.has(teamOf(s.target)));
    },
    explain: (unregistered: SubscriptionDeclaration[]) =>
      [...new Set(unregistered.map((s) => teamOf(s.target)))]
        .map((team) => `No Slack workspace ${team} is connected: connect it at ${this.config.publicUrl}/connect/slack`)
        .join('; '),
    sync: (ownerId) => this.sync(ownerId),
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly workspaces: SlackWorkspacesService,
    private readonly routing: SlackRoutingService,
    private readonly connectionRows: ConnectionsRepository,
    private readonly flows: FlowsRepository,
    private readonly clients: SlackClientService,
    readonly ingress: SlackIngress,
  ) {}

  async applyBookkeeping(event: RoutedEvent): Promise<void> {
    if (!this.workspaces.handles(event.name) || slackCommandOf(event.payload)) return;
    const body = event.payload as SlackEventCallback;
    await this.workspaces.apply(body.team_id, body.event);
    const ownerId = (await this.workspaces.find(body.team_id))?.ownerId;
    if (ownerId) await this.sync(ownerId);
  }

  async route(event: RoutedEvent): Promise<EventRouting> {
    const routing = await this.routing.targets(event);
    if ('dropped' in routing) return routing;
    const owner = routing.session.ownerId;
    return { owners: owner ? [owner] : [], targets: routing.targets, events: routing.events };
  }

  /** Resolved before the flow starts because the SDK's `slack.context` is read synchronously. */
  async bindRun(_ownerId: string, event: RoutedEvent): Promise<ProviderRunBinding> {
    const routing = await this.routing.targets(event);
    if ('dropped' in routing) {
      const error = () => new SdkError('SLACK_NOT_CONNECTED', routing.dropped);
      return { context: NO_SLACK_CONTEXT, capabilities: failingCapabilities(SLACK_CAPABILITIES, error) };
    }
    const { session } = routing;
    return {
      context: contextOf(event.payload, session),
      capabilities: slackCapabilities(session.client),
      isEffect: isSlackEffect,
      targets: routing.targets,
      names: routing.events,
    };
  }

  /**
   * A run of another provider's event (a schedule tick, an endpoint request) posts as the owner's
   * workspace the flow's `workspace` variable names (team id or name), else as the owner's only
   * active workspace; unbound when there is none, or several and no `workspace`.
   */
  async bindAside(ownerId: string, env: Record<string, string>): Promise<ProviderRunBinding | undefined> {
    const wanted = env.workspace?.toLowerCase();
    const active = (await this.connectionRows.list(ownerId)).filter((c) => c.provider === 'slack' && c.status === 'active');
    const chosen = wanted ? active.filter((c) => [c.externalId.toLowerCase(), c.accountLogin.toLowerCase()].includes(wanted)) : active;
    if (chosen.length !== 1) return undefined;
    const { client, teamId, teamName, botUserId } = await this.clients.sessionFor(chosen[0].externalId);
    return {
      // No event: the workspace, and no channel, thread or sender.
      context: { ...NO_SLACK_CONTEXT, teamId, teamName, botUserId: botUserId ?? undefined, account: teamId } satisfies SlackContext,
      capabilities: slackCapabilities(client),
      isEffect: isSlackEffect,
    };
  }

  unbound(): ProviderRunBinding {
    const error = () => new SdkError('SLACK_NOT_CONNECTED', 'slack is only bound for Slack events and flows with one connected workspace');
    return { context: NO_SLACK_CONTEXT, capabilities: failingCapabilities(SLACK_CAPABILITIES, error) };
  }

  /** Team ids and names (lower-case) of the owner's active workspaces. */
  private async connectedTeams(ownerId: string): Promise<Set<string>> {
    const active = (await this.connectionRows.list(ownerId)).filter((c) => c.provider === 'slack' && c.status === 'active');
    return new Set(active.flatMap((c) => [c.externalId.toLowerCase(), c.accountLogin.toLowerCase()]));
  }

  /** Sets the `registered` flags of the owner's live Slack subscriptions from their connected workspaces. */
  private async sync(ownerId: string): Promise<void> {
    const teams = await this.connectedTeams(ownerId);
    const targets = new Set((await this.flows.liveSubscriptions('slack', ownerId)).map((s) => s.target));
    for (const target of targets) await this.flows.setRegistered(ownerId, 'slack', target, teams.has(teamOf(target)));
  }
}
