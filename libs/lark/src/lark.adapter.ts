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
import { SdkError, type ChatContext } from '@openflows/sdk';
import { chatContext, chatTargets, isOwnMessage, type LarkEventBody } from './envelope';
import { LARK_CAPABILITIES, larkCapabilities } from './lark-capabilities';
import { LarkConnectionsService, type LarkApp } from './lark-connections.service';
import { LARK_DOMAINS } from './lark-client';
import { LarkIngress } from './lark-ingress';

const NO_CHAT: ChatContext = { account: '', chatId: '', sender: { id: '' } };

const CARD: ProviderCard = {
  title: 'Feishu/Lark',
  icon: 'FL',
  connectedText: 'Feishu/Lark is connected. Flows on the chats its bot is in now receive their messages.',
  empty: 'Not connected. Connect a Feishu or Lark app with a bot so flows can answer messages in its chats.',
  fields: [
    { name: 'appId', label: 'App ID', hint: 'Credentials & Basic Info: cli_…' },
    { name: 'appSecret', label: 'App Secret', secret: true },
    { name: 'encryptKey', label: 'Encrypt Key', secret: true, optional: true, hint: 'Events & Callbacks → Encryption Strategy' },
    { name: 'verificationToken', label: 'Verification Token', secret: true, hint: 'Events & Callbacks → Encryption Strategy' },
    { name: 'domain', label: 'Platform', choices: [...LARK_DOMAINS], hint: 'feishu: open.feishu.cn; lark: open.larksuite.com' },
  ],
  source: 'lark.chat(account, chatId)',
  docs: 'feishulark',
};

/** The account part (app id or bot name, lower-case) of a `lark.chat(account, chatId)` target. */
const accountOf = (target: string) => target.slice(0, target.indexOf('/'));

/** A stored `message` event's body (see `messageEnvelope`). */
const bodyOf = (event: RoutedEvent) => event.payload as LarkEventBody;

/**
 * Feishu/Lark as a provider: apps connected with their credentials (`POST /api/connections/lark`), each
 * with its own webhook (LarkIngress), routing to the flows of whoever connected the app, and the app's
 * SDK Client bound into runs (`lark.sendMessage`, `lark.client`).
 */
@Injectable()
export class LarkAdapter implements ProviderAdapter {
  readonly id = 'lark';

  readonly connections: ProviderConnections = {
    card: () => CARD,
    connect: (ownerId, body) => this.apps.connect(ownerId, body),
    details: (connection) => [
      ...(connection.botUserId ? [`bot ${connection.botUserId}`] : []),
      `request URL ${this.apps.webhookUrl(connection.id)}`,
    ],
  };

  /** A chat subscription is registered once an active app it names (by app id or bot name) is connected. */
  readonly subscriptions: ProviderSubscriptions = {
    check: async (ownerId, subscriptions) => {
      const accounts = await this.connectedAccounts(ownerId);
      return subscriptions.map((s) => accounts.has(accountOf(s.target)));
    },
    explain: (unregistered: SubscriptionDeclaration[]) =>
      [...new Set(unregistered.map((s) => accountOf(s.target)))]
        .map((account) => `No Feishu/Lark app ${account} is connected: connect it with POST ${this.config.publicUrl}/api/connections/lark`)
        .join('; '),
    sync: (ownerId) => this.sync(ownerId),
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly apps: LarkConnectionsService,
    private readonly connectionRows: ConnectionsRepository,
    private readonly flows: FlowsRepository,
    readonly ingress: LarkIngress,
  ) {}

  /** Nothing to keep: Lark sends no uninstall events to the request URL. */
  async applyBookkeeping(): Promise<void> {}

  async route(event: RoutedEvent): Promise<EventRouting> {
    const routed = await this.routedApp(event);
    if ('dropped' in routed) return routed;
    const { app, chatId } = routed;
    return { owners: app.ownerId ? [app.ownerId] : [], targets: chatTargets(app.appId, app.botName, chatId), events: [event.name] };
  }

  /** Resolved before the flow starts because the SDK's `lark.context` is read synchronously. */
  async bindRun(_ownerId: string, event: RoutedEvent): Promise<ProviderRunBinding> {
    const routed = await this.routedApp(event);
    if ('dropped' in routed) {
      const error = () => new SdkError('NOT_CONNECTED', routed.dropped);
      return { context: NO_CHAT, capabilities: failingCapabilities(LARK_CAPABILITIES, error) };
    }
    const { app, chatId } = routed;
    return {
      context: chatContext(bodyOf(event).event ?? {}, app.botName),
      capabilities: larkCapabilities(this.apps.clientOf(app)),
      targets: chatTargets(app.appId, app.botName, chatId),
      names: [event.name],
    };
  }

  unbound(): ProviderRunBinding {
    const error = () => new SdkError('NOT_CONNECTED', 'lark is only bound for Feishu/Lark events');
    return { context: NO_CHAT, capabilities: failingCapabilities(LARK_CAPABILITIES, error) };
  }

  /**
   * The active connection of the event's app and its chat, or why the event reaches nobody: the app is
   * not (or no longer) connected, or the message is the bot's own.
   */
  private async routedApp(event: RoutedEvent): Promise<{ app: LarkApp; chatId: string } | { dropped: string }> {
    const body = bodyOf(event);
    const appId = body.header?.app_id;
    const chatId = body.event?.message?.chat_id;
    if (typeof appId !== 'string' || typeof chatId !== 'string') return { dropped: 'not a chat message' };
    const app = await this.apps.findByAppId(appId);
    if (!app || app.status !== 'active') return { dropped: `the Feishu/Lark app ${appId} is not connected` };
    if (isOwnMessage(body.event ?? {}, app.botOpenId)) return { dropped: "the bot's own message" };
    return { app, chatId };
  }

  /** App ids and bot names (lower-case) of the owner's active apps. */
  private async connectedAccounts(ownerId: string): Promise<Set<string>> {
    const active = (await this.connectionRows.list(ownerId)).filter((c) => c.provider === 'lark' && c.status === 'active');
    return new Set(active.flatMap((c) => [c.externalId.toLowerCase(), c.accountLogin.toLowerCase()]));
  }

  /** Sets the `registered` flags of the owner's live Feishu/Lark subscriptions from their connected apps. */
  private async sync(ownerId: string): Promise<void> {
    const accounts = await this.connectedAccounts(ownerId);
    const targets = new Set((await this.flows.liveSubscriptions('lark', ownerId)).map((s) => s.target));
    for (const target of targets) await this.flows.setRegistered(ownerId, 'lark', target, accounts.has(accountOf(target)));
  }
}
