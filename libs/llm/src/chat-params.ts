import { SdkError, type ChatMessage, type ChatOptions, type ResponseFormat } from '@openflows/sdk/types';
import type OpenAI from 'openai';
import { assertRetryTimes } from './openai-clients';
import type { ChatTurn } from './conversation.store';

/** A tool as the host gets it: the flow keeps the handler (see `@openflows/sdk`'s ChatTool). */
export interface ToolSpec {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** `chatCompletion` options as they reach the host: tools without their handlers. */
export type ChatCallOptions = Omit<ChatOptions, 'tools'> & { tools?: ToolSpec[] };

type Params = Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'model' | 'messages'>;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
/** Model calls asking for tools before the model must answer: default, and most a flow may set. */
export const DEFAULT_TOOL_ROUNDS = 5;
export const MAX_TOOL_ROUNDS = 10;

function invalid(message: string): SdkError {
  return new SdkError('INVALID_ARGUMENT', message);
}

function assertRange(name: string, value: unknown, min: number, max: number): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)) {
    throw invalid(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
}

function assertText(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') throw invalid(`${name} must be a string`);
}

/**
 * Checks every option of a chat call against the ranges the chat completions API accepts (so a
 * flow's mistake is INVALID_ARGUMENT, never a retried provider error).
 * @throws SdkError INVALID_ARGUMENT naming the option.
 */
export function assertOptions(options: ChatCallOptions): void {
  const { maxTokens, stop, maxToolRounds } = options;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens <= 0)) {
    throw invalid(`maxTokens must be a positive integer, got ${maxTokens}`);
  }
  assertRange('temperature', options.temperature, 0, 2);
  assertRange('topP', options.topP, 0, 1);
  assertRange('presencePenalty', options.presencePenalty, -2, 2);
  assertRange('frequencyPenalty', options.frequencyPenalty, -2, 2);
  for (const name of ['model', 'systemPrompt', 'prePrompt', 'postPrompt'] as const) assertText(name, options[name]);
  const stops = typeof stop === 'string' ? [stop] : stop;
  if (stops !== undefined && (!Array.isArray(stops) || stops.length < 1 || stops.length > 4 || stops.some((s) => typeof s !== 'string'))) {
    throw invalid('stop must be a string or a list of 1 to 4 strings');
  }
  assertRetryTimes(options.retryTimes);
  if (maxToolRounds !== undefined && (!Number.isInteger(maxToolRounds) || maxToolRounds < 1 || maxToolRounds > MAX_TOOL_ROUNDS)) {
    throw invalid(`maxToolRounds must be an integer from 1 to ${MAX_TOOL_ROUNDS}, got ${maxToolRounds}`);
  }
  if (options.responseFormat !== undefined) assertResponseFormat(options.responseFormat);
  if (options.tools !== undefined) assertTools(options.tools);
}

function assertResponseFormat(format: ResponseFormat): void {
  if (format === null || typeof format !== 'object') throw invalid('responseFormat must be an object such as { type: "json_object" }');
  if (format.type === 'text' || format.type === 'json_object') return;
  if (format.type !== 'json_schema') throw invalid('responseFormat.type must be text, json_object or json_schema');
  if (typeof format.name !== 'string' || !TOOL_NAME.test(format.name)) throw invalid(`responseFormat.name must match ${TOOL_NAME}`);
  if (format.schema === null || typeof format.schema !== 'object' || Array.isArray(format.schema)) {
    throw invalid('responseFormat.schema must be a JSON Schema object');
  }
}

function assertTools(tools: ToolSpec[]): void {
  if (!Array.isArray(tools) || tools.length > 128) throw invalid('tools must be a list of at most 128 tools');
  for (const tool of tools) {
    if (!tool || typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) throw invalid(`a tool name must match ${TOOL_NAME}`);
    assertText(`the description of tool ${tool.name}`, tool.description);
    if (
      tool.parameters !== undefined &&
      (tool.parameters === null || typeof tool.parameters !== 'object' || Array.isArray(tool.parameters))
    ) {
      throw invalid(`the parameters of tool ${tool.name} must be a JSON Schema object`);
    }
  }
}

/**
 * Checks the `messages` form's list: roles, text contents, tool calls with ids, names and argument
 * text, tool results naming their call.
 * @throws SdkError INVALID_ARGUMENT naming the first bad message.
 */
export function assertMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('messages must be a non-empty list');
  messages.forEach((message: Partial<ChatMessage>, index) => {
    const at = `messages[${index}]`;
    if (!message || typeof message !== 'object' || !ROLES.has(message.role as string)) {
      throw invalid(`${at}.role must be system, user, assistant or tool`);
    }
    if (typeof message.content !== 'string') throw invalid(`${at}.content must be a string`);
    if (message.role === 'tool' && typeof message.toolCallId !== 'string') throw invalid(`${at} is a tool result without toolCallId`);
    if (message.toolCalls !== undefined) {
      const calls = message.toolCalls;
      if (message.role !== 'assistant' || !Array.isArray(calls)) throw invalid(`${at}.toolCalls belongs to assistant messages, as a list`);
      for (const call of calls) {
        if (!call || typeof call.id !== 'string' || typeof call.name !== 'string' || typeof call.arguments !== 'string') {
          throw invalid(`${at}.toolCalls items need id, name and arguments strings`);
        }
      }
    }
  });
}

/** The sampling and format options as the chat completions API names them; unset options are left out. */
export function requestParams(model: string, options: ChatCallOptions): Params {
  const params: Params = {};
  if (options.temperature !== undefined) params.temperature = options.temperature;
  if (options.topP !== undefined) params.top_p = options.topP;
  if (options.stop !== undefined) params.stop = options.stop;
  if (options.presencePenalty !== undefined) params.presence_penalty = options.presencePenalty;
  if (options.frequencyPenalty !== undefined) params.frequency_penalty = options.frequencyPenalty;
  if (options.maxTokens !== undefined) Object.assign(params, tokenLimit(model, options.maxTokens));
  const format = options.responseFormat;
  if (format?.type === 'json_schema') {
    const { name, schema, description, strict } = format;
    params.response_format = {
      type: 'json_schema',
      json_schema: { name, schema, ...(description === undefined ? {} : { description }), ...(strict === undefined ? {} : { strict }) },
    };
  } else if (format !== undefined) {
    params.response_format = { type: format.type };
  }
  return params;
}

/** The function tools as the API takes them. */
export function wireTools(tools: ToolSpec[]): OpenAI.Chat.ChatCompletionFunctionTool[] {
  return tools.map(({ name, description, parameters }) => ({
    type: 'function',
    function: { name, ...(description === undefined ? {} : { description }), ...(parameters === undefined ? {} : { parameters }) },
  }));
}

/**
 * o-series models refuse `max_tokens` and want `max_completion_tokens`; other OpenAI-compatible
 * servers (vLLM, Ollama, older proxies) reliably understand only `max_tokens`.
 */
export function tokenLimit(model: string, tokens: number): { max_tokens: number } | { max_completion_tokens: number } {
  return /^o\d/.test(model) ? { max_completion_tokens: tokens } : { max_tokens: tokens };
}

/** The text sent for this call: `prePrompt`, the text and `postPrompt`, joined by blank lines. */
export function wrapText(text: string, { prePrompt, postPrompt }: Pick<ChatOptions, 'prePrompt' | 'postPrompt'>): string {
  return [prePrompt, text, postPrompt].filter((part) => part !== undefined && part !== '').join('\n\n');
}

/** A history or flow message as the API takes it (an assistant message that only calls tools has `content: null`). */
export function wireMessage(message: ChatTurn | ChatMessage): OpenAI.Chat.ChatCompletionMessageParam {
  switch (message.role) {
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        tool_calls: calls.map(({ id, name, arguments: args }) => ({ id, type: 'function', function: { name, arguments: args } })),
      };
    }
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
  }
}

/** A history message as the flow gets it back in {@link ChatResponse.messages}. */
export function flowMessage(turn: ChatTurn): ChatMessage {
  const message: ChatMessage = { role: turn.role, content: turn.content };
  if (turn.toolCalls !== undefined && turn.toolCalls.length > 0) message.toolCalls = turn.toolCalls.map((call) => ({ ...call }));
  if (turn.toolCallId !== undefined) message.toolCallId = turn.toolCallId;
  return message;
}
