import type { Redis } from 'ioredis';

/**
 * One message of a conversation's history: the user's texts (as the flow gave them, without
 * `prePrompt`/`postPrompt`), the answers, and the tool calls and results of the rounds between them.
 */
export interface ChatTurn {
  role: 'user' | 'assistant' | 'tool';
  content: string;
  /** Assistant messages that asked for tools. */
  toolCalls?: { id: string; name: string; arguments: string }[];
  /** Tool messages: the call they answer. */
  toolCallId?: string;
}

/** What is kept of a conversation between calls. */
export interface Conversation {
  /** Model-written summary of turns that no longer fit the context window. */
  summary?: string;
  /** The remaining history, oldest first. */
  messages: ChatTurn[];
}

/**
 * Conversation history per (flow, conversation id). A conversation expires after `ttlSeconds`
 * without a save (flows.network semantics: inactivity, not age), after which `load` returns
 * `undefined` and the next call counts as restarted.
 */
export interface ConversationMemory {
  /** @returns the stored conversation, or `undefined` if there is none or it expired. */
  load(flowId: string, conversationId: string): Promise<Conversation | undefined>;
  /** Replaces the stored conversation and restarts its expiry time. */
  save(flowId: string, conversationId: string, conversation: Conversation): Promise<void>;
}

function assertTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`conversation TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
}

/**
 * Conversations in Redis as JSON under `<keyPrefix>:conversation:<flowId>:<conversationId>`, with
 * the key's TTL set again on every save so that expiry measures inactivity.
 * @throws RangeError from the constructor when `ttlSeconds` is not a positive integer.
 */
export class RedisConversationMemory implements ConversationMemory {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
  ) {
    assertTtl(ttlSeconds);
  }

  async load(flowId: string, conversationId: string): Promise<Conversation | undefined> {
    const json = await this.redis.get(this.key(flowId, conversationId));
    return json === null ? undefined : (JSON.parse(json) as Conversation);
  }

  async save(flowId: string, conversationId: string, conversation: Conversation): Promise<void> {
    await this.redis.set(this.key(flowId, conversationId), JSON.stringify(conversation), 'EX', this.ttlSeconds);
  }

  private key(flowId: string, conversationId: string): string {
    return `${this.keyPrefix}:conversation:${flowId}:${conversationId}`;
  }
}

/**
 * Conversations in process memory with the same inactivity expiry (measured with `Date.now`), for
 * the CLI's local run loop where no Redis is running. Entries are copied in and out so callers
 * cannot change stored history by mutating what they hold.
 */
export class InMemoryConversationMemory implements ConversationMemory {
  private readonly entries = new Map<string, { conversation: Conversation; expiresAt: number }>();

  constructor(private readonly ttlSeconds: number) {
    assertTtl(ttlSeconds);
  }

  load(flowId: string, conversationId: string): Promise<Conversation | undefined> {
    const key = this.key(flowId, conversationId);
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry === undefined ? undefined : structuredClone(entry.conversation));
  }

  save(flowId: string, conversationId: string, conversation: Conversation): Promise<void> {
    this.forgetExpired();
    const expiresAt = Date.now() + this.ttlSeconds * 1000;
    this.entries.set(this.key(flowId, conversationId), { conversation: structuredClone(conversation), expiresAt });
    return Promise.resolve();
  }

  // Conversations that are never loaded again would otherwise stay for the life of the process.
  private forgetExpired(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  // JSON keeps the pair unambiguous whatever characters the ids contain.
  private key(flowId: string, conversationId: string): string {
    return JSON.stringify([flowId, conversationId]);
  }
}
