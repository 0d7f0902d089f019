import type {
  ChatResponse,
  EmbeddingsOptions,
  EmbeddingsResponse,
  ImageOptions,
  ImageResponse,
  ToolCall,
  TranscribeOptions,
  TranscribeResponse,
} from '@openflows/sdk';
import type { ChatSessionForm, ChatSessionOptions, ToolResult } from '@openflows/sdk/llm';

/** What the host adds to a chat call of a flow: streaming, the flow's tool handlers, cancellation. */
export interface ChatHooks {
  /** Set for `stream: true`: each piece of the answer's text as the provider sends it. */
  onDelta?(text: string): void;
  /** Set when the flow gave tools: runs one round of calls in the flow's isolate, resolving with their results. */
  callTools?(calls: ToolCall[]): Promise<ToolResult[]>;
  /** Aborted when the run ends: the provider request is cancelled and nothing is stored. */
  signal: AbortSignal;
}

/** Audio for a transcription once the host has it: bytes in base64 and a file name with the format's extension. */
export interface AudioBytes {
  base64: string;
  filename: string;
}

/**
 * The LLM services of one run beyond the basic `chatCompletion` (which stays in RunServices): chat
 * calls with hooks (the messages form, streaming, tools), images, transcriptions and embeddings,
 * each with the named LLM key of the flow's owner. Implemented by `@openflows/llm`'s
 * `LlmGateway.forRun`; a host without it answers these SDK calls with NOT_IN_RUNTIME.
 */
export interface LlmServices {
  chat(keyName: string, form: ChatSessionForm, options: ChatSessionOptions, hooks: ChatHooks): Promise<ChatResponse>;
  createImage(keyName: string, prompt: string, options: ImageOptions): Promise<ImageResponse>;
  transcribe(keyName: string, audio: AudioBytes, options: TranscribeOptions): Promise<TranscribeResponse>;
  createEmbeddings(keyName: string, input: string | string[], options: EmbeddingsOptions): Promise<EmbeddingsResponse>;
}
