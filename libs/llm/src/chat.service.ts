import { SdkError, type ChatOptions, type ChatResponse } from '@openflows/sdk/types';
import OpenAI from 'openai';
import { contextWindowFor, fitHistory, summaryMessage } from './context-window';
import type { ChatTurn, ConversationMemory } from './conversation.store';
import type { LlmKey } from './llm-key';

type Message = OpenAI.Chat.ChatCompletionMessageParam;
type Usage = ChatResponse['usage'];

/** Settings of {@link ChatService}, taken from the platform configuration (`llm.*`). */
export interface ChatServiceOptions {
  /** Used when the key has no `baseURL` (`OPENAI_BASE_URL`). */
  defaultBaseUrl: string;
  /** Retries of the `openai` package for 408/409/429/5xx and connection errors (honours Retry-After). */
  maxRetries: number;
  /** Model when neither the call nor the key names one; `gpt-4o-mini` when unset. */
  defaultModel?: string;
  /** Time limit of each attempt in milliseconds; the `openai` package's 10 minutes when unset. */
  timeoutMs?: number;
}

/** One `chatCompletion` call of a flow, with the key already resolved from its secret name. */
export interface ChatRequest {
  flowId: string;
  conversationId: string;
  key: LlmKey;
  text: string;
  options?: ChatOptions;
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
// Clients keep connection pools; bound them in case keys rotate often.
const MAX_CACHED_CLIENTS = 100;

/**
 * The host side of the SDK's `chatCompletion`: keeps each (flow, conversation)'s history in a
 * {@link ConversationMemory}, fits it to the model's context window (summarising the oldest turns
 * rather than losing them) and asks an OpenAI-compatible chat completions API.
 */
export class ChatService {
  private readonly clients = new Map<string, OpenAI>();
  private readonly defaultModel: string;

  constructor(
    private readonly memory: ConversationMemory,
    private readonly options: ChatServiceOptions,
  ) {
    this.defaultModel = options.defaultModel ?? 'gpt-4o-mini';
  }

  /**
   * Sends `text` as the next user message of the conversation and returns the answer. History is
   * saved only after a successful answer, so a retried run does not repeat the user's message.
   * `usage` is in tokens as the provider counts them, including the summarising call when one was
   * needed. `restarted` is true when there was no stored conversation (first call, expired) or
   * `options.restart` was set.
   * @throws SdkError `INVALID_ARGUMENT` for a bad argument or a text that cannot fit the model's
   *   context window; `LLM_FAILED` (`"<status> <provider message>"`) when the provider still fails
   *   after the retries or refuses the request.
   */
  async complete(request: ChatRequest): Promise<ChatResponse> {
    const { flowId, conversationId, key, text, options = {} } = request;
    assertRequest(request);
    const model = options.model ?? key.model ?? this.defaultModel;
    const stored = options.restart === true ? undefined : await this.memory.load(flowId, conversationId);
    const client = this.clientFor(key);

    const fitted = await this.fitConversation(client, key, model, stored?.summary, stored?.messages ?? [], request);
    const answer = await this.ask(client, key, {
      model,
      messages: buildMessages(options.systemPrompt, fitted.summary, fitted.history, text),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.maxTokens === undefined ? {} : tokenLimit(model, options.maxTokens)),
    });

    const messages: ChatTurn[] = [...fitted.history, { role: 'user', content: text }, { role: 'assistant', content: answer.choice }];
    await this.memory.save(flowId, conversationId, { summary: fitted.summary, messages });
    return { choice: answer.choice, usage: addUsage(fitted.usage, answer.usage), restarted: stored === undefined };
  }

  /**
   * Fits the history to the window; when turns must go, they and the previous summary are condensed
   * into a new summary by one extra call.
   */
  private async fitConversation(
    client: OpenAI,
    key: LlmKey,
    model: string,
    summary: string | undefined,
    history: ChatTurn[],
    { text, options = {} }: ChatRequest,
  ): Promise<{ summary?: string; history: ChatTurn[]; usage: Usage }> {
    const window = contextWindowFor(model, key.contextWindow);
    const reserveForAnswer = options.maxTokens ?? Math.min(DEFAULT_ANSWER_TOKENS, Math.floor(window / 4));
    const base = { systemPrompt: options.systemPrompt, messages: history, newText: text, model, window };
    const first = fitHistory({ ...base, summary, reserveForAnswer });
    if (first.dropped.length === 0) return { summary, history, usage: { promptTokens: 0, completionTokens: 0 } };

    // The new summary replaces the old one and may be longer, so fit again leaving it room.
    const fit = fitHistory({ ...base, reserveForAnswer: reserveForAnswer + SUMMARY_ROOM });
    const condensed = await this.summarise(client, key, model, window, summary, fit.dropped);
    return { summary: condensed.choice, history: fit.kept, usage: condensed.usage };
  }

  private async summarise(
    client: OpenAI,
    key: LlmKey,
    model: string,
    window: number,
    summary: string | undefined,
    dropped: ChatTurn[],
  ): Promise<{ choice: string; usage: Usage }> {
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
    return this.ask(client, key, {
      model,
      messages: buildMessages(SUMMARISER_PROMPT, summary, kept, SUMMARISE_REQUEST),
      ...tokenLimit(model, SUMMARY_MAX_TOKENS),
    });
  }

  private async ask(
    client: OpenAI,
    key: LlmKey,
    body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
  ): Promise<{ choice: string; usage: Usage }> {
    let completion: OpenAI.Chat.ChatCompletion;
    try {
      completion = await client.chat.completions.create(body);
    } catch (error) {
      throw toSdkError(error, key.apiKey);
    }
    if (completion.choices.length === 0) throw new SdkError('LLM_FAILED', 'the provider answered without a choice');
    return {
      choice: completion.choices[0].message.content ?? '',
      usage: {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
      },
    };
  }

  private clientFor(key: LlmKey): OpenAI {
    const baseURL = key.baseURL ?? this.options.defaultBaseUrl;
    const cacheKey = `${baseURL}\n${key.apiKey}`;
    let client = this.clients.get(cacheKey);
    if (client === undefined) {
      const { maxRetries, timeoutMs: timeout } = this.options;
      client = new OpenAI({ apiKey: key.apiKey, baseURL, maxRetries, ...(timeout === undefined ? {} : { timeout }) });
      if (this.clients.size >= MAX_CACHED_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
    }
    // Re-inserting keeps the Map in least-recently-used order for the eviction above.
    this.clients.delete(cacheKey);
    this.clients.set(cacheKey, client);
    return client;
  }
}

function assertRequest({ conversationId, key, text, options = {} }: ChatRequest): void {
  if (typeof conversationId !== 'string' || conversationId === '') {
    throw new SdkError('INVALID_ARGUMENT', 'conversationId must be a non-empty string');
  }
  if (typeof text !== 'string') throw new SdkError('INVALID_ARGUMENT', 'text must be a string');
  if (typeof key.apiKey !== 'string' || key.apiKey === '') {
    throw new SdkError('INVALID_ARGUMENT', 'the LLM key has no apiKey');
  }
  const { maxTokens } = options;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens <= 0)) {
    throw new SdkError('INVALID_ARGUMENT', `maxTokens must be a positive integer, got ${maxTokens}`);
  }
}

function buildMessages(systemPrompt: string | undefined, summary: string | undefined, history: ChatTurn[], text: string): Message[] {
  const messages: Message[] = [];
  if (systemPrompt !== undefined) messages.push({ role: 'system', content: systemPrompt });
  if (summary !== undefined) messages.push({ role: 'system', content: summaryMessage(summary) });
  messages.push(...history, { role: 'user', content: text });
  return messages;
}

// o-series models refuse `max_tokens` and want `max_completion_tokens`; other OpenAI-compatible
// servers (vLLM, Ollama, older proxies) reliably understand only `max_tokens`.
function tokenLimit(model: string, tokens: number): { max_tokens: number } | { max_completion_tokens: number } {
  return /^o\d/.test(model) ? { max_completion_tokens: tokens } : { max_tokens: tokens };
}

function addUsage(a: Usage, b: Usage): Usage {
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}

function toSdkError(error: unknown, apiKey: string): unknown {
  if (!(error instanceof OpenAI.APIError)) return error;
  // APIError's message is already "<status> <provider message>"; connection errors have no status.
  const message = error.status === undefined ? `no answer from the provider: ${error.message}` : error.message;
  // Providers may quote the key they were given; it must not reach the flow or the run log.
  return new SdkError('LLM_FAILED', message.split(apiKey).join('[redacted]'));
}
