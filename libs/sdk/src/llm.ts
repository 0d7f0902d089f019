/**
 * The LLM facade of the SDK: `chatCompletion` in every form, `createImage`, `transcribe` and
 * `createEmbeddings`, built on the host's bridge calls. The basic form (conversation, no stream, no
 * tools) stays the host's `chatCompletion`, as before; the others are a chat session the platform
 * runs (see `libs/runtime/src/isolate/chat-sessions.ts` for the host's side of the protocol):
 *
 * - `llm.chat.start [keyName, form, options]` → `{ id }`: the model call starts on the host;
 * - `llm.chat.next [id, results?]` → `{ deltas, toolCalls?, response? }`: waits for what happened
 *   since the last pull (text deltas, a round of tool calls to run, or the end), sending back the
 *   results of the previous round's tool calls.
 */
import type { SdkHost } from './host';
import {
  SdkError,
  type AudioInput,
  type ChatCompletionCall,
  type ChatMessage,
  type ChatOptions,
  type ChatResponse,
  type ChatStream,
  type ChatTool,
  type EmbeddingsOptions,
  type EmbeddingsResponse,
  type ImageOptions,
  type ImageResponse,
  type ToolCall,
  type TranscribeOptions,
  type TranscribeResponse,
} from './types';

/** The LLM calls of {@link Sdk}. */
export interface LlmApi {
  chatCompletion: ChatCompletionCall;
  /**
   * Generates images from `prompt` with the key's image endpoint (`POST /images/generations`).
   * @throws SdkError SECRET_NOT_FOUND, LLM_FAILED, BUDGET_EXCEEDED, INVALID_ARGUMENT.
   */
  createImage(keyName: string, prompt: string, options?: ImageOptions): Promise<ImageResponse>;
  /**
   * Turns speech into text with the key's Whisper-compatible endpoint (`POST /audio/transcriptions`).
   * @throws SdkError SECRET_NOT_FOUND, LLM_FAILED, BUDGET_EXCEEDED, INVALID_ARGUMENT (no audio, not
   *   base64), and for a URL the errors of `fetch` (EGRESS_REFUSED, FETCH_FAILED, LIMIT_FETCH).
   */
  transcribe(keyName: string, audio: AudioInput, options?: TranscribeOptions): Promise<TranscribeResponse>;
  /**
   * Embeds one text or several (`POST /embeddings`): one vector per input, in order.
   * @throws SdkError SECRET_NOT_FOUND, LLM_FAILED, BUDGET_EXCEEDED, INVALID_ARGUMENT.
   */
  createEmbeddings(keyName: string, input: string | string[], options?: EmbeddingsOptions): Promise<EmbeddingsResponse>;
}

/** A tool as it crosses the bridge: everything but the handler, which stays in the flow. */
export interface ToolSpec {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** What `llm.chat.start` carries: the call's form, and its options with tools as {@link ToolSpec}s. */
export type ChatSessionForm = { conversationId: string; text: string } | { messages: ChatMessage[] };
export type ChatSessionOptions = Omit<ChatOptions, 'tools'> & { tools?: ToolSpec[] };

/** One answer of `llm.chat.next`. */
export interface ChatSessionStep {
  /** Text written since the last pull, in order. */
  deltas: string[];
  /** A round of tool calls to run; their results go with the next pull. */
  toolCalls?: ToolCall[];
  /** Set once: the call is over. */
  response?: ChatResponse;
}

/** A tool call's result as the flow sends it back. */
export interface ToolResult {
  toolCallId: string;
  content: string;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Builds the LLM calls of the SDK over `host`. */
export function llmApi(host: SdkHost): LlmApi {
  const chatCompletion = ((keyName: string, second: unknown, third?: unknown, fourth?: unknown) => {
    const messagesForm = Array.isArray(second);
    const options = ((messagesForm ? third : fourth) ?? {}) as ChatOptions;
    if (typeof options !== 'object') throw new SdkError('INVALID_ARGUMENT', 'chatCompletion options must be an object');
    if (!messagesForm && options.stream !== true && options.tools === undefined) {
      return host.chatCompletion(keyName, second as string, third as string, fourth as ChatOptions | undefined);
    }
    const form: ChatSessionForm = messagesForm
      ? { messages: second as ChatMessage[] }
      : { conversationId: second as string, text: third as string };
    const { tools, ...rest } = options;
    const handlers = toolHandlers(tools);
    const sessionOptions: ChatSessionOptions = { ...rest, ...(tools === undefined ? {} : { tools: tools.map(toolSpec) }) };
    const deltas = new DeltaQueue();
    const response = runSession(host, keyName, form, sessionOptions, handlers, deltas);
    if (options.stream !== true) return response;
    // The flow may read only the deltas; a failure still reaches it through the iteration.
    response.catch(() => undefined);
    return { response, [Symbol.asyncIterator]: () => deltas.iterate() } satisfies ChatStream;
  }) as ChatCompletionCall;

  return {
    chatCompletion,
    createImage: (keyName, prompt, options) => host.call('llm.createImage', [keyName, prompt, options ?? {}]) as Promise<ImageResponse>,
    transcribe: (keyName, audio, options) => host.call('llm.transcribe', [keyName, audio, options ?? {}]) as Promise<TranscribeResponse>,
    createEmbeddings: (keyName, input, options) =>
      host.call('llm.createEmbeddings', [keyName, input, options ?? {}]) as Promise<EmbeddingsResponse>,
  };
}

function toolHandlers(tools: ChatTool[] | undefined): Map<string, ChatTool['handler']> {
  const handlers = new Map<string, ChatTool['handler']>();
  if (tools === undefined) return handlers;
  if (!Array.isArray(tools)) throw new SdkError('INVALID_ARGUMENT', 'tools must be a list of { name, description, parameters, handler }');
  for (const tool of tools) {
    if (!tool || typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) {
      throw new SdkError('INVALID_ARGUMENT', `a tool name must match ${TOOL_NAME}, got ${JSON.stringify(tool?.name)}`);
    }
    if (typeof tool.handler !== 'function') throw new SdkError('INVALID_ARGUMENT', `tool ${tool.name} needs a handler function`);
    if (handlers.has(tool.name)) throw new SdkError('INVALID_ARGUMENT', `two tools are named ${tool.name}`);
    handlers.set(tool.name, tool.handler);
  }
  return handlers;
}

function toolSpec({ name, description, parameters }: ChatTool): ToolSpec {
  return { name, ...(description === undefined ? {} : { description }), ...(parameters === undefined ? {} : { parameters }) };
}

/** Starts the session and pulls until it ends, running each round of tool calls in between. */
async function runSession(
  host: SdkHost,
  keyName: string,
  form: ChatSessionForm,
  options: ChatSessionOptions,
  handlers: Map<string, ChatTool['handler']>,
  deltas: DeltaQueue,
): Promise<ChatResponse> {
  try {
    const { id } = (await host.call('llm.chat.start', [keyName, form, options])) as { id: number };
    let results: ToolResult[] | undefined;
    for (;;) {
      const step = (await host.call('llm.chat.next', results === undefined ? [id] : [id, results])) as ChatSessionStep;
      deltas.push(step.deltas);
      results = step.toolCalls === undefined ? undefined : await Promise.all(step.toolCalls.map((call) => runTool(handlers, call)));
      if (step.response !== undefined) {
        deltas.end();
        return step.response;
      }
    }
  } catch (error) {
    deltas.end(error);
    throw error;
  }
}

/** Runs one tool call in the flow; what went wrong is told to the model rather than failing the call. */
async function runTool(handlers: Map<string, ChatTool['handler']>, call: ToolCall): Promise<ToolResult> {
  const handler = handlers.get(call.name);
  let content: string;
  try {
    if (!handler) throw new Error(`there is no tool named ${call.name}`);
    let args: unknown;
    try {
      args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch {
      throw new Error(`the arguments are not valid JSON: ${call.arguments}`);
    }
    const result: unknown = await handler(args);
    content = typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
  } catch (error) {
    content = `Error: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { toolCallId: call.id, content };
}

/** Text deltas waiting for the flow's iteration, and whether (and how) the stream ended. */
class DeltaQueue {
  private readonly pending: string[] = [];
  private wake?: () => void;
  private ended = false;
  private failure?: { error: unknown };

  push(deltas: string[]): void {
    if (deltas.length === 0) return;
    this.pending.push(...deltas);
    this.wake?.();
  }

  end(error?: unknown): void {
    this.ended = true;
    if (error !== undefined) this.failure = { error };
    this.wake?.();
  }

  async *iterate(): AsyncGenerator<string> {
    for (;;) {
      const next = this.pending.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
