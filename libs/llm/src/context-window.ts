import { SdkError } from '@openflows/sdk/types';
import * as cl100k from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/cjs/encoding/o200k_base';
import type { ChatTurn } from './conversation.store';

/** Text of the system message that carries a conversation's summary; counted and sent alike. */
export function summaryMessage(summary: string): string {
  return `Summary of the earlier conversation: ${summary}`;
}

// Longest prefix first: the first match wins.
const KNOWN_WINDOWS: [prefix: string, tokens: number][] = [
  ['gpt-4.1', 1_047_576],
  ['gpt-4o', 128_000],
  ['gpt-4-turbo', 128_000],
  ['gpt-4-32k', 32_768],
  ['gpt-4', 8_192],
  ['gpt-3.5-turbo', 16_385],
];
const O_SERIES = /^o\d/;
const O_SERIES_WINDOW = 128_000;
// Small on purpose: assuming too large a window makes the provider reject the request.
const UNKNOWN_WINDOW = 8_192;

/**
 * The context window of `model` in tokens (prompt and answer together).
 * @param override the key's `contextWindow`, which wins when given (self-hosted models).
 * @returns the override, else the entry of a small table of OpenAI models matched by name prefix,
 *   else 8192.
 * @throws SdkError `INVALID_ARGUMENT` when the override is not a positive integer.
 */
export function contextWindowFor(model: string, override?: number): number {
  if (override !== undefined) {
    if (!Number.isInteger(override) || override <= 0) {
      throw new SdkError('INVALID_ARGUMENT', `contextWindow must be a positive integer, got ${override}`);
    }
    return override;
  }
  if (O_SERIES.test(model)) return O_SERIES_WINDOW;
  return KNOWN_WINDOWS.find(([prefix]) => model.startsWith(prefix))?.[1] ?? UNKNOWN_WINDOW;
}

// From OpenAI's cookbook ("How to count tokens with tiktoken"): every message costs 3 tokens of
// framing besides its role and content, and every reply is primed with 3 more.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;
// User text may contain strings such as "<|endoftext|>"; the API reads them as plain text, so do we.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

// gpt-4 and gpt-3.5 (dated variants included) use cl100k_base; gpt-4o, gpt-4.1, o-series and later
// use o200k_base, which gpt-tokenizer also takes as its default for names it does not know.
function encodingFor(model: string): { countTokens: typeof o200k.countTokens } {
  return /^gpt-(3\.5|4)(-|$)/.test(model) ? cl100k : o200k;
}

/** Tokens `content` takes as one message of `role`, framing included. */
export function messageTokens(model: string, role: string, content: string): number {
  const { countTokens } = encodingFor(model);
  return TOKENS_PER_MESSAGE + countTokens(role, PLAIN_TEXT) + countTokens(content, PLAIN_TEXT);
}

/** Tokens a history message takes: its text, and the names, ids and arguments of its tool calls. */
export function turnTokens(model: string, turn: ChatTurn): number {
  const { countTokens } = encodingFor(model);
  let tokens = messageTokens(model, turn.role, turn.content);
  if (turn.toolCallId !== undefined) tokens += countTokens(turn.toolCallId, PLAIN_TEXT);
  for (const call of turn.toolCalls ?? []) {
    tokens +=
      TOKENS_PER_MESSAGE + countTokens(call.id, PLAIN_TEXT) + countTokens(call.name, PLAIN_TEXT) + countTokens(call.arguments, PLAIN_TEXT);
  }
  return tokens;
}

/** Input of {@link fitHistory}; token amounts are counted with the model's encoding. */
export interface FitInput {
  systemPrompt?: string;
  summary?: string;
  /** History, oldest first: user messages, each followed by the answer (and any tool rounds before it). */
  messages: ChatTurn[];
  /** The user text about to be sent; always kept. */
  newText: string;
  model: string;
  /** Context window in tokens, see {@link contextWindowFor}. */
  window: number;
  /** Tokens left free for the answer (and anything else the caller will add). */
  reserveForAnswer: number;
}

/** Result of {@link fitHistory}: a split of `messages`, both parts oldest first. */
export interface FitResult {
  kept: ChatTurn[];
  dropped: ChatTurn[];
}

/**
 * Splits a history into the newest whole turns (a user message and the assistant messages after it)
 * that fit the context window next to the system prompt, the summary, the new text and the answer
 * reserve, and the older rest. Messages are never cut; once a turn does not fit, it and all older
 * turns are dropped, so the kept history has no gaps.
 * @throws SdkError `INVALID_ARGUMENT` when the system prompt, summary, new text and answer reserve
 *   alone exceed the window.
 */
export function fitHistory(input: FitInput): FitResult {
  const { messages, model } = input;
  let free = input.window - fixedTokens(input);
  if (free < 0) {
    throw new SdkError(
      'INVALID_ARGUMENT',
      `the text is too long for model ${model}: with the system prompt, summary and ${input.reserveForAnswer} ` +
        `tokens reserved for the answer it needs ${input.window - free} tokens, but the context window holds ` +
        `${input.window}; shorten the text or lower maxTokens`,
    );
  }
  let start = messages.length;
  for (const turnStart of turnStartsNewestFirst(messages)) {
    const cost = messages.slice(turnStart, start).reduce((sum, message) => sum + turnTokens(model, message), 0);
    if (cost > free) break;
    free -= cost;
    start = turnStart;
  }
  return { kept: messages.slice(start), dropped: messages.slice(0, start) };
}

function fixedTokens({ systemPrompt, summary, newText, model, reserveForAnswer }: FitInput): number {
  let tokens = TOKENS_PER_REPLY + reserveForAnswer + messageTokens(model, 'user', newText);
  if (systemPrompt !== undefined) tokens += messageTokens(model, 'system', systemPrompt);
  if (summary !== undefined) tokens += messageTokens(model, 'system', summaryMessage(summary));
  return tokens;
}

// A turn starts at a user message (tool rounds stay with it); a leading assistant message forms a turn of its own.
function* turnStartsNewestFirst(messages: ChatTurn[]): Generator<number> {
  for (let index = messages.length - 1; index >= 0; index--) {
    if (messages[index].role === 'user' || index === 0) yield index;
  }
}
