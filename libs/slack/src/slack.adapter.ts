import { Injectable } from '@nestjs/common';
import { failingCapabilities, type EventRouting, type ProviderAdapter, type ProviderRunBinding, type RoutedEvent } from '@openflows/common';
import { SdkError, type SlackContext } from '@openflows/sdk';
import type { SlackEventCallback } from './envelope';
import { SLACK_CAPABILITIES, slackCapabilities } from './slack-capabilities';
import { SlackRoutingService } from './slack-routing.service';
import { SlackWorkspacesService } from './slack-workspaces.service';

const NO_WORKSPACE: SlackContext = { teamId: '', teamName: '' };

/**
 * Slack as a provider: workspace bookkeeping (uninstalls, revoked tokens), routing to the flows of the
 * workspace's owner under every name of the event's channel (see SlackRoutingService), and the
 * workspace's WebClient bound into runs.
 */
@Injectable()
export class SlackAdapter implements ProviderAdapter {
  readonly id = 'slack';

  constructor(
    private readonly workspaces: SlackWorkspacesService,
    private readonly routing: SlackRoutingService,
  ) {}

  async applyBookkeeping(event: RoutedEvent): Promise<void> {
    if (!this.workspaces.handles(event.name)) return;
    const body = event.payload as SlackEventCallback;
    await this.workspaces.apply(body.team_id, body.event);
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
      return { context: NO_WORKSPACE, capabilities: failingCapabilities(SLACK_CAPABILITIES, error) };
    }
    const { client, teamId, teamName, botUserId } = routing.session;
    return {
      context: { teamId, teamName, botUserId: botUserId ?? undefined } satisfies SlackContext,
      capabilities: slackCapabilities(client),
      targets: routing.targets,
      names: routing.events,
    };
  }

  unbound(): ProviderRunBinding {
    const error = () => new SdkError('SLACK_NOT_CONNECTED', 'slack is only bound for Slack events');
    return { context: NO_WORKSPACE, capabilities: failingCapabilities(SLACK_CAPABILITIES, error) };
  }
}
