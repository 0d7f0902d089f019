import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  errorMessage,
  failingCapabilities,
  type AppConfig,
  type ConnectResult,
  type EventRouting,
  type ProviderAdapter,
  type ProviderCard,
  type ProviderConnections,
  type ProviderRunBinding,
  type ProviderSubscriptions,
  type RoutedEvent,
  type StoredConnection,
  type SubscriptionDeclaration,
} from '@openflows/common';
import { FlowsRepository } from '@openflows/db';
import { SdkError, type ChatContext } from '@openflows/sdk';
import { DiscordAppsService, type DiscordApplication } from './discord-apps.service';
import { DISCORD_CAPABILITIES, discordCapabilities, isDiscordEffect } from './discord-capabilities';
import { accountOf, commandsOf, DiscordCommandsService, namesApp } from './discord-commands.service';
import { DiscordGatewayService } from './discord-gateway.service';
import { DiscordIngress } from './discord-ingress';
import { DiscordRestService } from './discord-rest';
import { chatContextOf, isInteraction, targetsOf, type DiscordInteraction, type DiscordMessage } from './envelope';

const NO_CHAT: ChatContext = { account: '', chatId: '', sender: { id: '' } };

const CARD: ProviderCard = {
  title: 'Discord',
  icon: 'DC',
  connectedText:
    'Discord is connected. Paste the Interactions Endpoint URL below into the Developer Portal; deployed slash commands are registered.',
  empty: 'Not connected. Connect a Discord application so flows can answer its slash commands and channel messages.',
  fields: [
    { name: 'applicationId', label: 'Application ID', hint: 'Developer Portal → General Information' },
    { name: 'publicKey', label: 'Public key', hint: 'Developer Portal → General Information' },
    { name: 'botToken', label: 'Bot token', secret: true, hint: 'Developer Portal → Bot → Reset Token' },
  ],
  source: "discord.commands(app, [{ name, description }]) or discord.chat(app, channelId | '*')",
  docs: 'discord',
};

/** Where an event of a connected application happened, and whose it is. */
type Resolved = { app: DiscordApplication; targets: string[]; payload: DiscordInteraction | DiscordMessage } | { dropped: string };

/**
 * Discord as a provider: applications connected with their credentials (`POST /api/connections/discord`),
 * their Interactions Endpoint URL (DiscordIngress), the slash commands flows declare registered at
 * deploy (DiscordCommandsService), routing to the flows of the application's owner under every name
 * of the event's channel, and the bot's REST client bound into runs (answering the run's interaction).
 */
@Injectable()
export class DiscordAdapter implements ProviderAdapter {
  readonly id = 'discord';
  private readonly logger = new Logger(DiscordAdapter.name);

  readonly connections: ProviderConnections = {
    card: () => CARD,
    connect: (ownerId, body) => this.connect(ownerId, body),
    disconnect: (connection) => this.disconnect(connection),
    details: (connection) => [
      ...(connection.botUserId ? [`bot user ${connection.botUserId}`] : []),
      `Interactions Endpoint URL: ${this.endpointUrl(connection.id)}`,
    ],
  };

  /** A subscription is registered once an active application it names (by id or name) is connected. */
  readonly subscriptions: ProviderSubscriptions = {
    check: async (ownerId, subscriptions) => {
      const apps = await this.apps.activeApps(ownerId);
      return subscriptions.map((s) => apps.some((app) => namesApp(app, accountOf(s.target))));
    },
    explain: (unregistered: SubscriptionDeclaration[]) =>
      [...new Set(unregistered.map((s) => accountOf(s.target)))]
        .map(
          (account) =>
            `No Discord application ${account} is connected: connect it with POST /api/connections/discord { applicationId, publicKey, botToken } and paste the webhookUrl it answers as the Interactions Endpoint URL`,
        )
        .join('; '),
    sync: (ownerId) => this.sync(ownerId),
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly apps: DiscordAppsService,
    private readonly commands: DiscordCommandsService,
    private readonly rest: DiscordRestService,
    private readonly gateway: DiscordGatewayService,
    private readonly flows: FlowsRepository,
    readonly ingress: DiscordIngress,
  ) {}

  /** Discord tells no connection changes in interactions or messages. */
  applyBookkeeping(): Promise<void> {
    return Promise.resolve();
  }

  async route(event: RoutedEvent): Promise<EventRouting> {
    const resolved = await this.resolve(event);
    if ('dropped' in resolved) return resolved;
    return { owners: [resolved.app.ownerId!], targets: resolved.targets, events: [event.name] };
  }

  async bindRun(ownerId: string, event: RoutedEvent): Promise<ProviderRunBinding> {
    const resolved = await this.resolve(event);
    if ('dropped' in resolved || resolved.app.ownerId !== ownerId) {
      const reason = 'dropped' in resolved ? resolved.dropped : 'the application is connected by another user';
      return { context: NO_CHAT, capabilities: failingCapabilities(DISCORD_CAPABILITIES, () => new SdkError('NOT_CONNECTED', reason)) };
    }
    const { app, targets, payload } = resolved;
    const context = chatContextOf(app.name, event.target!, payload);
    const interaction = isInteraction(payload)
      ? { applicationId: app.applicationId, token: payload.token, chatId: context.chatId, threadId: context.threadId }
      : undefined;
    return {
      context,
      capabilities: discordCapabilities({ rest: this.rest.forBot(app.applicationId, app.botToken), interaction }),
      isEffect: isDiscordEffect,
      targets,
      names: [event.name],
    };
  }

  unbound(): ProviderRunBinding {
    const error = () => new SdkError('NOT_CONNECTED', 'discord is only bound for Discord events');
    return { context: NO_CHAT, capabilities: failingCapabilities(DISCORD_CAPABILITIES, error) };
  }

  /**
   * The event's application and the targets it matches: `<application id or name>/<chat>`, with the
   * thread, and `/*` (lower-case); or why it reaches no flow (no active application, no owner, a
   * message of the application's own bot).
   */
  private async resolve(event: RoutedEvent): Promise<Resolved> {
    const target = event.target ?? '';
    const [applicationId, chatId] = target.split('/');
    const app = applicationId ? await this.apps.byApplicationId(applicationId) : undefined;
    if (!app || app.status !== 'active' || !app.ownerId || !chatId) return { dropped: `no active Discord application ${applicationId}` };
    const payload = event.payload as DiscordInteraction | DiscordMessage;
    if (!isInteraction(payload) && payload.author?.id === app.botUserId) return { dropped: "a message of the application's own bot" };
    return { app, targets: targetsOf(app, target, payload), payload };
  }

  private async connect(ownerId: string, body: unknown): Promise<ConnectResult> {
    const row = await this.apps.connect(ownerId, body);
    return { connectionId: row.id, webhookUrl: this.endpointUrl(row.id) };
  }

  /** Removes the commands the platform registered for the application (best effort). */
  private async disconnect(connection: StoredConnection): Promise<void> {
    try {
      await this.commands.register(this.apps.opened(connection), []);
    } catch (error) {
      this.logger.warn(`Discord application ${connection.externalId}: could not remove its commands: ${errorMessage(error)}`);
    }
  }

  /**
   * Registers, for each active application of the owner, the commands its live subscriptions declare,
   * sets the `registered` flags of those subscriptions from the connected applications, and tells the
   * Gateway processes.
   */
  private async sync(ownerId: string): Promise<void> {
    const [apps, live] = await Promise.all([this.apps.activeApps(ownerId), this.flows.liveSubscriptions('discord', ownerId)]);
    for (const app of apps) {
      const { commands, conflicts } = commandsOf(live.filter((s) => namesApp(app, accountOf(s.target))));
      if (conflicts.length > 0)
        this.logger.warn(
          `Discord application ${app.applicationId}: flows declare ${conflicts.join(', ')} differently; the first declaration is registered`,
        );
      try {
        await this.commands.register(app, commands);
      } catch (error) {
        this.logger.warn(`Discord application ${app.applicationId}: could not register its commands: ${errorMessage(error)}`);
      }
    }
    for (const target of new Set(live.map((s) => s.target))) {
      await this.flows.setRegistered(
        ownerId,
        'discord',
        target,
        apps.some((app) => namesApp(app, accountOf(target))),
      );
    }
    // Flows listening to channel messages may have come or gone: the Gateway processes reconsider.
    await this.gateway.changed();
  }

  private endpointUrl(connectionId: string): string {
    return `${this.config.publicUrl}/webhooks/discord/${connectionId}`;
  }
}
