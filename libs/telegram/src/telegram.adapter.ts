import { Injectable } from '@nestjs/common';
import {
  failingCapabilities,
  type EventRouting,
  type ProviderAdapter,
  type ProviderCard,
  type ProviderConnections,
  type ProviderRunBinding,
  type ProviderSubscriptions,
  type RoutedEvent,
  type SubscriptionDeclaration,
} from '@openflows/common';
import { FlowsRepository } from '@openflows/db';
import { SdkError, type ChatContext } from '@openflows/sdk';
import { chatContextOf, type TelegramUpdate } from './envelope';
import { TELEGRAM_CAPABILITIES, telegramCapabilities } from './telegram-capabilities';
import { TelegramConnectionsService } from './telegram-connections.service';
import { TelegramIngress } from './telegram-ingress';
import { routeTelegramEvent, targetParts } from './telegram-routing';

const NO_CHAT: ChatContext = { account: '', chatId: '', sender: { id: '' } };

const CARD: ProviderCard = {
  title: 'Telegram',
  icon: 'TG',
  connectedText: 'Telegram is connected. Flows on its chats now receive their messages.',
  empty: 'Not connected. Create a bot with @BotFather and paste its token here: messages to the bot then start runs.',
  fields: [{ name: 'botToken', label: 'Bot token', secret: true, hint: 'from @BotFather, e.g. 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11' }],
  source: 'telegram.chat(bot, chatId)',
  docs: 'telegram',
};

/** The bot part (id or username, lower-case) of a `telegram.chat(bot, chatId)` target. */
const accountOf = (target: string) => target.slice(0, target.indexOf('/'));

/**
 * Telegram (Bot API) as a provider: bots connected with their token (the platform registers and
 * removes their webhook), updates routed to the flows of the bot's owner under the bot's id and
 * username (never the bot's own messages or other bots'), and the bot's grammY `Api` bound into runs
 * as `telegram.sendMessage` and `telegram.client`.
 */
@Injectable()
export class TelegramAdapter implements ProviderAdapter {
  readonly id = 'telegram';

  readonly connections: ProviderConnections = {
    card: () => CARD,
    connect: (ownerId, body) => this.bots.connect(ownerId, body),
    disconnect: (connection) => this.bots.disconnect(connection),
    details: (connection) => [`bot @${connection.accountLogin} (id ${connection.externalId}); the platform registered its webhook`],
  };

  /** A chat subscription is registered once a bot it names (by id or username) is connected and active. */
  readonly subscriptions: ProviderSubscriptions = {
    check: async (ownerId, subscriptions) => {
      const bots = await this.bots.accountNames(ownerId);
      return subscriptions.map((s) => bots.has(accountOf(s.target)));
    },
    explain: (unregistered: SubscriptionDeclaration[]) =>
      [...new Set(unregistered.map((s) => accountOf(s.target)))]
        .map(
          (bot) => `No Telegram bot ${bot} is connected: connect its token from @BotFather (POST /api/connections/telegram { botToken })`,
        )
        .join('; '),
    sync: (ownerId) => this.sync(ownerId),
  };

  constructor(
    private readonly bots: TelegramConnectionsService,
    private readonly flows: FlowsRepository,
    readonly ingress: TelegramIngress,
  ) {}

  /** Telegram sends nothing that changes a connection (a revoked token simply stops the updates). */
  async applyBookkeeping(): Promise<void> {}

  async route(event: RoutedEvent): Promise<EventRouting> {
    const parts = targetParts(event.target);
    return routeTelegramEvent(event, parts ? await this.bots.byBotId(parts.botId) : undefined);
  }

  /** Resolved before the flow starts because the SDK's `telegram.context` is read synchronously. */
  async bindRun(ownerId: string, event: RoutedEvent): Promise<ProviderRunBinding> {
    const parts = targetParts(event.target);
    const connection = parts ? await this.bots.byBotId(parts.botId) : undefined;
    const update = event.payload as TelegramUpdate;
    if (!connection || connection.status !== 'active' || connection.ownerId !== ownerId) {
      const error = () => new SdkError('NOT_CONNECTED', `Telegram bot ${parts?.botId ?? '?'} is not connected`);
      return { context: NO_CHAT, capabilities: failingCapabilities(TELEGRAM_CAPABILITIES, error) };
    }
    const routing = routeTelegramEvent(event, connection);
    return {
      context: chatContextOf(update, connection.accountLogin),
      capabilities: telegramCapabilities(this.bots.api(connection)),
      ...('dropped' in routing ? {} : { targets: routing.targets, names: routing.events }),
    };
  }

  unbound(): ProviderRunBinding {
    const error = () => new SdkError('NOT_CONNECTED', 'telegram is only bound for Telegram events');
    return { context: NO_CHAT, capabilities: failingCapabilities(TELEGRAM_CAPABILITIES, error) };
  }

  /** Sets the `registered` flags of the owner's live Telegram subscriptions from their connected bots. */
  private async sync(ownerId: string): Promise<void> {
    const bots = await this.bots.accountNames(ownerId);
    const targets = new Set((await this.flows.liveSubscriptions('telegram', ownerId)).map((s) => s.target));
    for (const target of targets) await this.flows.setRegistered(ownerId, 'telegram', target, bots.has(accountOf(target)));
  }
}
