import { SdkError, type ChatResponse, type ToolCall } from '@openflows/sdk/types';
import type OpenAI from 'openai';
import { messageTokens } from './context-window';
import type { LlmKey } from './llm-key';
import { requestOptions, toSdkError } from './openai-clients';

type Body = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
export type Usage = ChatResponse['usage'];

/** What one model call gave: the text, the tools it asks for (none: a final answer), the tokens. */
export interface ModelReply {
  content: string;
  toolCalls: ToolCall[];
  usage: Usage;
}

/** How one model call is made. */
export interface ModelCallOptions {
  /** Streams the answer: each piece of text as it arrives. */
  onDelta?: (text: string) => void;
  /** Retries of this call (the flow's `retryTimes`); the client's own when unset. */
  retryTimes?: number;
  /** Cancels the request (the run ended). */
  signal?: AbortSignal;
}

/**
 * Makes one chat completions request, as one JSON answer or, with `onDelta`, as a stream of
 * `chat.completion.chunk` events (`stream_options.include_usage` asks for the usage chunk at the end;
 * tool call pieces are joined by their `index`). A provider that reports no usage is counted with
 * the model's tokenizer, so budgets hold for self-hosted servers too.
 * @throws SdkError LLM_FAILED (see toSdkError) when the provider fails after retries, refuses the
 *   request, or answers without a choice.
 */
export async function callModel(client: OpenAI, key: LlmKey, body: Body, options: ModelCallOptions = {}): Promise<ModelReply> {
  const request = requestOptions(options.retryTimes, options.signal);
  try {
    const reply = options.onDelta ? await streamed(client, body, request, options.onDelta) : await whole(client, body, request);
    return { ...reply, usage: reply.usage ?? estimatedUsage(body, reply.content) };
  } catch (error) {
    throw toSdkError(error, key.apiKey);
  }
}

async function whole(client: OpenAI, body: Body, request: OpenAI.RequestOptions): Promise<Omit<ModelReply, 'usage'> & { usage?: Usage }> {
  const completion = await client.chat.completions.create(body, request);
  const choice = completion.choices[0];
  if (choice === undefined) throw new SdkError('LLM_FAILED', 'the provider answered without a choice');
  const toolCalls = (choice.message.tool_calls ?? []).flatMap((call) =>
    call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
  );
  return { content: choice.message.content ?? '', toolCalls, usage: usageOf(completion.usage) };
}

async function streamed(
  client: OpenAI,
  body: Body,
  request: OpenAI.RequestOptions,
  onDelta: (text: string) => void,
): Promise<Omit<ModelReply, 'usage'> & { usage?: Usage }> {
  const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, request);
  let content = '';
  let choices = 0;
  let usage: Usage | undefined;
  const calls: ToolCall[] = [];
  for await (const chunk of stream) {
    if (chunk.usage) usage = usageOf(chunk.usage);
    const choice = chunk.choices.find((c) => c.index === 0);
    if (choice === undefined) continue;
    choices += 1;
    const text = choice.delta.content;
    if (typeof text === 'string' && text !== '') {
      content += text;
      onDelta(text);
    }
    for (const piece of choice.delta.tool_calls ?? []) {
      const call = (calls[piece.index] ??= { id: '', name: '', arguments: '' });
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
    }
  }
  // The package ends the iteration quietly when the request is aborted; an aborted answer is no answer.
  if (request.signal?.aborted) throw new SdkError('LLM_FAILED', 'the call was cancelled before the answer was complete');
  if (choices === 0) throw new SdkError('LLM_FAILED', 'the provider answered without a choice');
  return { content, toolCalls: calls.filter(Boolean), usage };
}

function usageOf(usage: OpenAI.CompletionUsage | null | undefined): Usage | undefined {
  return usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } : undefined;
}

function estimatedUsage(body: Body, content: string): Usage {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));
  const promptTokens = body.messages.reduce((sum, message) => sum + messageTokens(body.model, message.role, text(message.content)), 0);
  return { promptTokens, completionTokens: messageTokens(body.model, 'assistant', content) };
}
