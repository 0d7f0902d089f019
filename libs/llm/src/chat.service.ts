import { SdkError, type ChatMessage, type ChatResponse, type ToolCall } from '@openflows/sdk/types';
import type OpenAI from 'openai';
import {
  DEFAULT_TOOL_ROUNDS,
  assertMessages,
  assertOptions,
  flowMessage,
  requestParams,
  tokenLimit,
  wireMessage,
  wireTools,
  wrapText,
  type ChatCallOptions,
} from './chat-params';
import { contextWindowFor, fitHistory, summaryMessage, turnTokens } from './context-window';
import type { ChatTurn, ConversationMemory } from './conversation.store';
import type { LlmKey } from './llm-key';
import { callModel, type Usage } from './model-call';
import { OpenAiClients, type OpenAiClientOptions } from './openai-clients';

type Message = OpenAI.Chat.ChatCompletionMessageParam;

/** Settings of {@link ChatService}, taken from the platform configuration (`llm.*`). */
export interface ChatServiceOptions extends OpenAiClientOptions {
  /** Model when neither the call nor the key names one; `gpt-4o-mini` when unset. */
  defaultModel?: string;
}

/**
 * One `chatCompletion` call of a flow, with the key already resolved from its secret name: the
 * conversation form (`conversationId` and `text`, history kept here) or the messages form
 * (`messages`, sent as they are, nothing kept).
 */
export interface ChatRequest {
  flowId: string;
  key: LlmKey;
  conversationId?: string;
  text?: string;
  messages?: ChatMessage[];
  options?: ChatCallOptions;
}

/** A tool call's result, as the flow's handler gave it. */
export interface ToolResult {
  toolCallId: string;
  content: string;
}

/** What a caller adds to a chat call: streaming, the flow's tool handlers, cancellation. */
export interface ChatHooks {
  /** Streams the answer: each piece of text as the provider sends it (every model call of the loop). */
  onDelta?(text: string): void;
  /** Runs one round of tool calls in the flow; without it tools are not offered to the model. */
  callTools?(calls: ToolCall[]): Promise<ToolResult[]>;
  /** Aborts the provider request; nothing is stored. */
  signal?: AbortSignal;
}

// ~200 words of English; a hard limit so the summary fits the room fitted for it.
const SUMMARY_MAX_TOKENS = 400;
// The summary's system message costs its framing and prefix on top of the summary text.
const SUMMARY_ROOM = SUMMARY_MAX_TOKENS + 32;
const SUMMARISER_PROMPT =
  'You condense conversations so they can be continued later. Keep facts, names, numbers, decisions, ' +
  "open questions and the user's requests; leave out pleasantries. Answer with the summary only.";
const SUMMARISE_REQUEST =
  'Summarise the conversation above, including the summary of the earlier conversation if there is one, ' + 'in at most 200 words.';
// Answer room when the flow sets no maxTokens: enough for a comment, small beside any real window.
const DEFAULT_ANSWER_TOKENS = 1024;
const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0 };

/** What the model loop of one call produced: the answer and the messages that led to it. */
interface Conversed {
  choice: string;
  produced: ChatTurn[];
  usage: Usage;
}

/**
 * The host side of the SDK's `chatCompletion`: keeps each (flow, conversation)'s history in a
 * {@link ConversationMemory}, fits it to the model's context window (summarising the oldest turns
 * rather than losing them), asks an OpenAI-compatible chat completions API, streaming on request,
 * and runs the tool call loop (bounded rounds) with the flow's handlers.
 */
export class ChatService {
  private readonly clients: OpenAiClients;
  private readonly defaultModel: string;

  constructor(
    private readonly memory: ConversationMemory,
    options: ChatServiceOptions,
  ) {
    this.clients = new OpenAiClients(options);
    this.defaultModel = options.defaultModel ?? 'gpt-4o-mini';
  }

  /** The model a call uses: its own, else the key's, else the platform's default. */
  modelFor(key: LlmKey, options: Pick<ChatCallOptions, 'model'> = {}): string {
    return options.model ?? key.model ?? this.defaultModel;
  }

  /**
   * Conversation form: sends `text` (wrapped in `prePrompt`/`postPrompt`) as the next user message of
   * the conversation and returns the answer; the history keeps the text unwrapped, the tool rounds
   * and the answer, saved once after the whole call succeeded, so a retried run does not repeat the
   * user's message. Messages form: sends the system prompt and `messages` (the last one wrapped when
   * it is the user's) and stores nothing. `usage` is in tokens as the provider counts them, every
   * call added up (the summarising one, each tool round). `restarted` is true when there was no
   * stored conversation (first call, expired) or `options.restart` was set; false in the messages form.
   * @throws SdkError `INVALID_ARGUMENT` for a bad argument or option, a text or list that cannot fit
   *   the model's context window; `LLM_FAILED` (`"<status> <provider message>"`) when the provider
   *   still fails after the retries or refuses the request.
   */
  async complete(request: ChatRequest, hooks: ChatHooks = {}): Promise<ChatResponse> {
    const { flowId, conversationId, key, text, messages, options = {} } = request;
    assertRequest(request);
    const model = this.modelFor(key, options);
    const client = this.clients.for(key);
    const window = contextWindowFor(model, key.contextWindow);
    const reserveForAnswer = options.maxTokens ?? Math.min(DEFAULT_ANSWER_TOKENS, Math.floor(window / 4));

    if (messages !== undefined) {
      const sent = wrapLastUser(messages, options);
      assertListFits(model, window, reserveForAnswer, options.systemPrompt, sent);
      const prefix: Message[] = [...(options.systemPrompt === undefined ? [] : [system(options.systemPrompt)]), ...sent.map(wireMessage)];
      const result = await this.converse(client, key, model, prefix, options, hooks);
      return { choice: result.choice, usage: result.usage, restarted: false, messages: result.produced.map(flowMessage) };
    }

    const id = conversationId as string;
    const stored = options.restart === true ? undefined : await this.memory.load(flowId, id);
    const sentText = wrapText(text as string, options);
    const fitted = await this.fitConversation(client, key, model, window, reserveForAnswer, stored, sentText, options);
    const prefix = buildMessages(options.systemPrompt, fitted.summary, fitted.history, sentText);
    const result = await this.converse(client, key, model, prefix, options, hooks);

    const history: ChatTurn[] = [...fitted.history, { role: 'user', content: text as string }, ...result.produced];
    await this.memory.save(flowId, id, { summary: fitted.summary, messages: history });
    return {
      choice: result.choice,
      usage: addUsage(fitted.usage, result.usage),
      restarted: stored === undefined,
      messages: result.produced.map(flowMessage),
    };
  }

  /**
   * The model loop: asks the model; while it asks for tools (and rounds are left), runs them through
   * `hooks.callTools` and asks again with the calls and results. The last round offers the tools
   * with `tool_choice: "none"`, so the model must answer in text.
   */
  private async converse(
    client: OpenAI,
    key: LlmKey,
    model: string,
    prefix: Message[],
    options: ChatCallOptions,
    hooks: ChatHooks,
  ): Promise<Conversed> {
    const tools = options.tools !== undefined && options.tools.length > 0 && hooks.callTools ? wireTools(options.tools) : undefined;
    const rounds = options.maxToolRounds ?? DEFAULT_TOOL_ROUNDS;
    const produced: ChatTurn[] = [];
    let usage = NO_USAGE;
    for (let round = 0; ; round++) {
      const last = tools === undefined || round >= rounds;
      const reply = await callModel(
        client,
        key,
        {
          model,
          messages: [...prefix, ...produced.map(wireMessage)],
          ...requestParams(model, options),
          ...(tools === undefined ? {} : { tools, ...(last ? { tool_choice: 'none' as const } : {}) }),
        },
        { onDelta: hooks.onDelta, retryTimes: options.retryTimes, signal: hooks.signal },
      );
      usage = addUsage(usage, reply.usage);
      // A server that ignores tool_choice "none" still ends the loop: its calls are not kept unanswered.
      if (last || reply.toolCalls.length === 0) {
        produced.push({ role: 'assistant', content: reply.content });
        return { choice: reply.content, produced, usage };
      }
      produced.push({ role: 'assistant', content: reply.content, toolCalls: reply.toolCalls });
      const results = await hooks.callTools!(reply.toolCalls);
      for (const call of reply.toolCalls) {
        const result = results.find((r) => r.toolCallId === call.id);
        produced.push({ role: 'tool', toolCallId: call.id, content: result?.content ?? 'Error: the flow gave no result' });
      }
    }
  }

  /**
   * Fits the history to the window; when turns must go, they and the previous summary are condensed
   * into a new summary by one extra call.
   */
  private async fitConversation(
    client: OpenAI,
    key: LlmKey,
    model: string,
    window: number,
    reserveForAnswer: number,
    stored: { summary?: string; messages: ChatTurn[] } | undefined,
    newText: string,
    options: ChatCallOptions,
  ): Promise<{ summary?: string; history: ChatTurn[]; usage: Usage }> {
    const summary = stored?.summary;
    const history = stored?.messages ?? [];
    const base = { systemPrompt: options.systemPrompt, messages: history, newText, model, window };
    const first = fitHistory({ ...base, summary, reserveForAnswer });
    if (first.dropped.length === 0) return { summary, history, usage: NO_USAGE };

    // The new summary replaces the old one and may be longer, so fit again leaving it room.
    const fit = fitHistory({ ...base, reserveForAnswer: reserveForAnswer + SUMMARY_ROOM });
    const condensed = await this.summarise(client, key, model, window, summary, fit.dropped, options);
    return { summary: condensed.content, history: fit.kept, usage: condensed.usage };
  }

  private async summarise(
    client: OpenAI,
    key: LlmKey,
    model: string,
    window: number,
    summary: string | undefined,
    dropped: ChatTurn[],
    options: ChatCallOptions,
  ): Promise<{ content: string; usage: Usage }> {
    // Dropped turns once fitted the window next to newer ones, but taken together with the old summary
    // they may not; the oldest that do not fit are then lost.
    const { kept } = fitHistory({
      systemPrompt: SUMMARISER_PROMPT,
      summary,
      messages: dropped,
      newText: SUMMARISE_REQUEST,
      model,
      window,
      reserveForAnswer: SUMMARY_MAX_TOKENS,
    });
    return callModel(
      client,
      key,
      { model, messages: buildMessages(SUMMARISER_PROMPT, summary, kept, SUMMARISE_REQUEST), ...tokenLimit(model, SUMMARY_MAX_TOKENS) },
      { retryTimes: options.retryTimes },
    );
  }
}

function assertRequest({ conversationId, key, text, messages, options = {} }: ChatRequest): void {
  if (messages !== undefined) {
    assertMessages(messages);
  } else {
    if (typeof conversationId !== 'string' || conversationId === '') {
      throw new SdkError('INVALID_ARGUMENT', 'conversationId must be a non-empty string');
    }
    if (typeof text !== 'string') throw new SdkError('INVALID_ARGUMENT', 'text must be a string');
  }
  if (typeof key.apiKey !== 'string' || key.apiKey === '') {
    throw new SdkError('INVALID_ARGUMENT', 'the LLM key has no apiKey');
  }
  if (options === null || typeof options !== 'object') throw new SdkError('INVALID_ARGUMENT', 'options must be an object');
  assertOptions(options);
}

function system(content: string): Message {
  return { role: 'system', content };
}

function buildMessages(systemPrompt: string | undefined, summary: string | undefined, history: ChatTurn[], text: string): Message[] {
  const messages: Message[] = [];
  if (systemPrompt !== undefined) messages.push(system(systemPrompt));
  if (summary !== undefined) messages.push(system(summaryMessage(summary)));
  messages.push(...history.map(wireMessage), { role: 'user', content: text });
  return messages;
}

/** The messages form wraps the last message in prePrompt/postPrompt when the user wrote it. */
function wrapLastUser(messages: ChatMessage[], options: ChatCallOptions): ChatMessage[] {
  const last = messages.at(-1)!;
  if (last.role !== 'user') return messages;
  return [...messages.slice(0, -1), { ...last, content: wrapText(last.content, options) }];
}

function assertListFits(model: string, window: number, reserve: number, systemPrompt: string | undefined, messages: ChatMessage[]): void {
  const fixed = systemPrompt === undefined ? 0 : turnTokens(model, { role: 'user', content: systemPrompt });
  const tokens = messages.reduce((sum, message) => sum + turnTokens(model, message as ChatTurn), fixed + reserve);
  if (tokens > window) {
    throw new SdkError(
      'INVALID_ARGUMENT',
      `the messages are too long for model ${model}: with ${reserve} tokens reserved for the answer they need ${tokens} tokens, ` +
        `but the context window holds ${window}; drop older messages or lower maxTokens`,
    );
  }
}

function addUsage(a: Usage, b: Usage): Usage {
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}
