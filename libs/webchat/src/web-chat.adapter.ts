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
  type RunCompletion,
} from '@openflows/common';
import { FlowsRepository } from '@openflows/db';
import { SdkError, type WebChatContext, type WebChatMessage } from '@openflows/sdk';
import { ConversationTranscript } from './conversation-transcript';
import { chatContextOf, messageEnvelope, targetParts, WEB_PROVIDER } from './envelope';
import { WEB_CAPABILITIES, webCapabilities } from './web-chat-capabilities';
import { WebChatKeysService } from './web-chat-keys.service';
import { ConversationPublisher } from './web-chat-streams';

const NO_CHAT: WebChatContext = { account: '', chatId: '', sender: { id: '' }, restart: false };

const CARD: ProviderCard = {
  title: 'Web chat',
  icon: '💬',
  connectedText: 'Web chats need no connection.',
  empty: "Nothing to connect: a flow's web.chat(name) gets a chat page anyone with its link can open; the flow page lists its URL.",
  source: 'web.chat(name, { title, roles, password })',
  docs: 'web-chat',
};

/**
 * Web chats as a provider: pages the platform serves itself (`/chat/<key>`, see the api's
 * WebChatController), so nothing to connect and every subscription registered. A visitor's message is
 * an event of the one flow whose chat URL it came through (never another flow of the owner with a chat
 * of the same name), and the run answers the visitor's conversation through `web.reply`.
 */
@Injectable()
export class WebChatAdapter implements ProviderAdapter {
  readonly id = WEB_PROVIDER;

  readonly connections: ProviderConnections = { card: () => CARD, details: () => [] };

  readonly subscriptions: ProviderSubscriptions = {
    check: async (_ownerId, subscriptions) => subscriptions.map(() => true),
    explain: () => 'web chats need no connection',
    sync: async () => undefined,
    describe: (flow, subscriptions) => this.keys.describe(flow, subscriptions),
  };

  constructor(
    private readonly flows: FlowsRepository,
    private readonly keys: WebChatKeysService,
    private readonly publisher: ConversationPublisher,
    private readonly transcript: ConversationTranscript,
  ) {}

  async applyBookkeeping(): Promise<void> {}

  /** The flow the chat URL belongs to, under the chat's name; dropped when the flow is gone. */
  async route(event: RoutedEvent): Promise<EventRouting> {
    const parts = targetParts(event.target);
    const flow = parts && (await this.flows.findById(parts.flowId));
    if (!parts || !flow) return { dropped: "the web chat's flow no longer exists" };
    return { owners: [flow.ownerId], targets: [parts.chat], events: [event.name], flows: [flow.id] };
  }

  async bindRun(ownerId: string, event: RoutedEvent): Promise<ProviderRunBinding> {
    const parts = targetParts(event.target);
    const flow = parts && (await this.flows.findById(parts.flowId));
    if (!parts || !flow || flow.ownerId !== ownerId) return this.unbound();
    const message = event.payload as WebChatMessage;
    const { conversationKey } = messageEnvelope(flow.id, message);
    return {
      context: chatContextOf(message),
      capabilities: webCapabilities({ conversationKey, eventId: event.id }, this.publisher, this.transcript),
      // An answer shown twice would be replaced by the same id, not repeated: nothing to journal.
      isEffect: () => false,
      targets: [parts.chat],
      names: [event.name],
    };
  }

  /**
   * Tells the page when the run of a visitor's message is over for good, so it stops waiting (and says
   * so when it failed). Nobody waits on the run itself: a failed attempt is still retried.
   */
  async completeRun(event: RoutedEvent, completion: RunCompletion): Promise<boolean> {
    if (!completion.ok && completion.willRetry) return false;
    const parts = targetParts(event.target);
    if (!parts) return false;
    const message = event.payload as WebChatMessage;
    const { conversationKey } = messageEnvelope(parts.flowId, message);
    await this.publisher.publish(conversationKey, { type: 'end', message: message.messageId, ...(completion.ok ? {} : { failed: true }) });
    return false;
  }

  unbound(): ProviderRunBinding {
    const error = () => new SdkError('NOT_CONNECTED', 'web is only bound for web chat messages');
    return { context: NO_CHAT, capabilities: failingCapabilities(WEB_CAPABILITIES, error) };
  }
}
