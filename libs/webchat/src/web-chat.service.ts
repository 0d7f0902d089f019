import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CodedError, type AcceptEvent } from '@openflows/common';
import { WebChatsRepository, type KeyedWebChat } from '@openflows/db';
import { LlmGateway, type LlmKey } from '@openflows/llm';
import { SdkError, type WebChatMessage, type WebChatOptions, type WebChatRole } from '@openflows/sdk';
import { SecretsService } from '@openflows/secrets';
import { ConversationTranscript, type TranscriptEntry } from './conversation-transcript';
import { messageEnvelope, WEB_PROVIDER } from './envelope';
import { MessageLimiter } from './message-limiter.service';
import { VisitorSessions, type VisitorSession } from './visitor-sessions';
import { chatOptionsOf } from './web-chat-options';
import { WebChatPasswordService } from './web-chat-password.service';
import { ConversationPublisher, ConversationStreams } from './web-chat-streams';

/** Characters of one visitor message at most. */
export const MAX_MESSAGE_CHARS = 8_000;

/** A chat a visitor reached by its key, with its options, and the visitor's session of it. */
export interface VisitorChat {
  chat: KeyedWebChat;
  options: WebChatOptions;
  session: VisitorSession;
  /** True when the session was made by this request: the cookie must be set. */
  created: boolean;
  /** The visitor's address (`req.ip`), which rate limits count by. */
  address: string;
}

/** What the page needs to draw itself (`GET /chat/<key>/state`). */
export interface ChatState {
  title: string;
  roles: string[];
  role?: string;
  /** The visitor must enter the password first (nothing else is shown until then). */
  locked: boolean;
  /** The page may offer voice input (the flow named a transcription key). */
  voice: boolean;
  conversationId?: string;
  transcript: TranscriptEntry[];
}

/**
 * What a web chat's visitor can do, on the api side: open the chat by its key (a session per visitor,
 * a conversation per session), pass the password gate, send messages (events of the chat's flow),
 * start a new conversation, listen to the answers, and turn a voice message into text. Visitors are
 * not users: nothing here reaches the owner's API, only the one chat the key opens.
 */
@Injectable()
export class WebChatService {
  constructor(
    private readonly chats: WebChatsRepository,
    private readonly sessions: VisitorSessions,
    private readonly password: WebChatPasswordService,
    private readonly secrets: SecretsService,
    private readonly transcript: ConversationTranscript,
    private readonly publisher: ConversationPublisher,
    private readonly streams: ConversationStreams,
    private readonly llm: LlmGateway,
    private readonly limiter: MessageLimiter,
  ) {}

  /**
   * The chat `key` opens and the visitor's session (a new one when `token` names none of this chat).
   * @throws CodedError WEB_CHAT_NOT_FOUND (404) for a key that opens nothing; WEB_CHAT_CLOSED (503)
   *   while the flow is undeployed, paused or no longer declares the chat.
   */
  async open(key: string, token: string | undefined, address = 'unknown'): Promise<VisitorChat> {
    const chat = /^[A-Za-z0-9_-]{32}$/.test(key) ? await this.chats.findByKey(key, WEB_PROVIDER) : undefined;
    if (!chat) throw new CodedError('WEB_CHAT_NOT_FOUND', 'there is no chat at this address');
    if (!chat.live || chat.flow.pausedAt !== null) throw new CodedError('WEB_CHAT_CLOSED', 'this chat is closed for now');
    const options = chatOptionsOf(chat.options);
    const found = await this.sessions.find(chat.chat.id, token);
    const session = found ?? (await this.sessions.create(chat.chat.id, options.roles?.[0]?.name));
    return { chat, options, session, created: !found, address };
  }

  /** What the page shows: title, roles, the gate, and (once past it) the conversation so far. */
  async state({ chat, options, session }: VisitorChat): Promise<ChatState> {
    const locked = this.locked(options, session);
    return {
      title: options.title ?? chat.chat.chat,
      roles: (options.roles ?? []).map((role) => role.name),
      ...(this.roleOf(options, session.role) ? { role: session.role } : {}),
      locked,
      voice: options.transcriptionKey !== undefined,
      ...(locked ? {} : { conversationId: session.conversation }),
      transcript: locked ? [] : await this.transcript.entries(this.conversationKey({ chat, session })),
    };
  }

  /** Opens the gate for the session. @throws CodedError WEB_CHAT_PASSWORD_WRONG, RATE_LIMITED, WEB_CHAT_CLOSED */
  async unlock(visitor: VisitorChat, password: unknown, address: string): Promise<void> {
    const { chat, options, session } = visitor;
    if (!options.password || session.unlocked) return;
    if (typeof password !== 'string' || password === '' || password.length > 1024) {
      throw new CodedError('WEB_CHAT_PASSWORD_WRONG', 'wrong password');
    }
    await this.password.check(chat, options.password, password, address);
    await this.sessions.save({ ...session, unlocked: true });
  }

  /**
   * Records the visitor's message as an event of the chat's flow (`message`, see messageEnvelope) and
   * queues it. `id` is the page's id of the message (a UUID): sending it again records it once.
   * @throws CodedError WEB_CHAT_LOCKED, WEB_CHAT_INVALID (empty or too long text, unknown role),
   *   RATE_LIMITED (see MessageLimiter), EVENT_NOT_QUEUED (from `accept`).
   */
  async send(visitor: VisitorChat, input: { text?: unknown; id?: unknown }, accept: AcceptEvent): Promise<{ messageId: string }> {
    const { chat, options, session } = this.unlocked(visitor);
    const text = typeof input.text === 'string' ? input.text.trim() : '';
    if (text === '' || text.length > MAX_MESSAGE_CHARS) {
      throw new CodedError('WEB_CHAT_INVALID', `a message needs 1 to ${MAX_MESSAGE_CHARS} characters`);
    }
    await this.limiter.take(visitor.address, chat.chat.id);
    const pageId = typeof input.id === 'string' && /^[0-9a-f-]{36}$/i.test(input.id) ? input.id.toLowerCase() : randomUUID();
    const role = this.roleOf(options, session.role);
    const message: WebChatMessage = {
      chat: chat.chat.chat,
      conversationId: session.conversation,
      messageId: `${session.visitor}-${pageId}`,
      text,
      ...(role ? { role } : {}),
      restart: session.restart,
      visitor: { id: session.visitor },
      sentAt: new Date().toISOString(),
    };
    const envelope = messageEnvelope(chat.flow.id, message);
    const accepted = await accept(envelope);
    if (accepted.status === 'queued') {
      await this.transcript.record(envelope.conversationKey, { kind: 'visitor', id: message.messageId, at: Date.now(), text });
      await this.publisher.publish(envelope.conversationKey, {
        type: 'message',
        id: message.messageId,
        text,
        ...(role ? { role: role.name } : {}),
      });
    }
    if (session.restart) await this.sessions.save({ ...session, restart: false });
    return { messageId: message.messageId };
  }

  /**
   * "New chat": a new conversation for the session, with `role` picked (when given and known); its
   * first message tells the flow to start over (`restart`). @throws CodedError WEB_CHAT_LOCKED, WEB_CHAT_INVALID
   */
  async restart(visitor: VisitorChat, role: unknown): Promise<{ conversationId: string }> {
    const { options, session } = this.unlocked(visitor);
    if (role !== undefined && (typeof role !== 'string' || !this.roleOf(options, role))) {
      throw new CodedError('WEB_CHAT_INVALID', `this chat has no role ${JSON.stringify(role)}`);
    }
    const conversation = randomUUID();
    await this.sessions.save({ ...session, conversation, restart: true, role: (role as string | undefined) ?? session.role });
    return { conversationId: conversation };
  }

  /**
   * Calls `listener` with each update (JSON) of the session's current conversation until the returned
   * function is called (`close` at shutdown); the subscription is in place when it resolves.
   * @throws CodedError WEB_CHAT_LOCKED
   */
  listen(visitor: VisitorChat, listener: (update: string) => void, close: () => void): Promise<() => Promise<void>> {
    return this.streams.listen(this.conversationKey(this.unlocked(visitor)), listener, close);
  }

  /**
   * The text of a voice message, transcribed with the flow's `transcriptionKey` (an LLM key of the
   * owner, its use recorded under the flow's name) through the platform's LLM gateway, so the call
   * counts towards the flow's usage, cost and monthly budget like a `transcribe` of the flow.
   * @param extension the audio's format as a file extension (`webm`, `wav`…), see audioExtension.
   * @throws CodedError WEB_CHAT_LOCKED, WEB_CHAT_INVALID (the chat takes no voice), RATE_LIMITED, WEB_CHAT_CLOSED
   *   (the key is missing, the budget used up), WEB_CHAT_TRANSCRIPTION_FAILED (the endpoint refused)
   */
  async transcribe(visitor: VisitorChat, audio: Buffer, extension: string): Promise<{ text: string }> {
    const { chat, options } = this.unlocked(visitor);
    if (!options.transcriptionKey) throw new CodedError('WEB_CHAT_INVALID', 'this chat takes no voice messages');
    await this.limiter.take(visitor.address, chat.chat.id);
    const { llm } = this.llm.forRun({ flowId: chat.flow.id, key: (name) => this.llmKey(chat, name), used: () => undefined });
    try {
      const audioFile = { base64: audio.toString('base64'), filename: `voice.${extension}` };
      const { text } = await llm.transcribe(options.transcriptionKey, audioFile, { model: options.transcriptionModel });
      return { text: text.trim() };
    } catch (error) {
      if (!(error instanceof SdkError)) throw error;
      if (error.code === 'SECRET_NOT_FOUND' || error.code === 'BUDGET_EXCEEDED') {
        throw new CodedError('WEB_CHAT_CLOSED', 'voice messages are not available for this chat now', { cause: error });
      }
      throw new CodedError('WEB_CHAT_TRANSCRIPTION_FAILED', `the voice message could not be transcribed (${error.message})`, {
        cause: error,
      });
    }
  }

  /** The owner's LLM key `name`, its use recorded under the flow's name. @throws SdkError SECRET_NOT_FOUND */
  private async llmKey({ flow }: KeyedWebChat, name: string): Promise<LlmKey> {
    const secret = await this.secrets.reveal(flow.ownerId, name, { usedBy: flow.name });
    if (!secret) throw new SdkError('SECRET_NOT_FOUND', `no secret named "${name}"`);
    const { value: apiKey, baseURL, model, contextWindow, promptPrice, completionPrice } = secret;
    return { apiKey, baseURL, model, contextWindow, promptPrice, completionPrice };
  }

  private locked(options: WebChatOptions, session: VisitorSession): boolean {
    return options.password !== undefined && !session.unlocked;
  }

  /** @throws CodedError WEB_CHAT_LOCKED while the session has not passed the password gate */
  private unlocked(visitor: VisitorChat): VisitorChat {
    if (this.locked(visitor.options, visitor.session)) throw new CodedError('WEB_CHAT_LOCKED', 'enter the password first');
    return visitor;
  }

  private roleOf(options: WebChatOptions, name: string | undefined): WebChatRole | undefined {
    return name === undefined ? undefined : options.roles?.find((role) => role.name === name);
  }

  private conversationKey({ chat, session }: Pick<VisitorChat, 'chat' | 'session'>): string {
    return `web/${chat.flow.id}/${chat.chat.chat}/${session.conversation}`;
  }
}
