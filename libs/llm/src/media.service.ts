import {
  SdkError,
  type EmbeddingsOptions,
  type EmbeddingsResponse,
  type ImageOptions,
  type ImageResponse,
  type TranscribeOptions,
  type TranscribeResponse,
} from '@openflows/sdk/types';
import { toFile } from 'openai';
import type { LlmKey } from './llm-key';
import { OpenAiClients, toSdkError, type OpenAiClientOptions } from './openai-clients';

/** What a call used, for its cost (see `prices.ts`): tokens, and images or audio seconds where the API bills those. */
export interface MediaUsage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  images?: { count: number; size: string; quality?: string };
  audioSeconds?: number;
}

/** A result and what it used. */
export interface Metered<T> {
  result: T;
  usage: MediaUsage;
}

/** An audio file for {@link MediaService.transcribe}: bytes in base64, the name's extension gives the format. */
export interface AudioFile {
  base64: string;
  filename: string;
}

/** The API's default image model, for the cost of a call that names none. */
const DEFAULT_IMAGE_MODEL = 'dall-e-2';
const DEFAULT_TRANSCRIPTION_MODEL = 'whisper-1';
const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';
/** Characters of one prompt the image models take at most (GPT image models; DALL·E takes fewer). */
const MAX_IMAGE_PROMPT = 32_000;
const MAX_EMBEDDING_INPUTS = 2048;

function invalid(message: string): SdkError {
  return new SdkError('INVALID_ARGUMENT', message);
}

function optionalText(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') throw invalid(`${name} must be a string`);
}

/**
 * The host side of `createImage`, `transcribe` and `createEmbeddings` over an OpenAI-compatible API
 * (`POST /images/generations`, `/audio/transcriptions` as a multipart upload, `/embeddings`).
 * Every method throws SdkError INVALID_ARGUMENT for a bad argument (before any request) and
 * LLM_FAILED when the provider fails after the retries or refuses the request.
 */
export class MediaService {
  private readonly clients: OpenAiClients;

  constructor(options: OpenAiClientOptions) {
    this.clients = new OpenAiClients(options);
  }

  /** Images for `prompt`: URLs or base64 as the model answers (`responseFormat` asks for one). */
  async createImage(key: LlmKey, prompt: string, options: ImageOptions = {}, signal?: AbortSignal): Promise<Metered<ImageResponse>> {
    if (typeof prompt !== 'string' || prompt === '' || prompt.length > MAX_IMAGE_PROMPT) {
      throw invalid(`prompt must be a text of 1 to ${MAX_IMAGE_PROMPT} characters`);
    }
    const { size, n, model, quality, responseFormat } = options;
    for (const [name, value] of Object.entries({ size, model, quality })) optionalText(name, value);
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 10)) throw invalid(`n must be an integer from 1 to 10, got ${String(n)}`);
    if (responseFormat !== undefined && responseFormat !== 'url' && responseFormat !== 'b64_json')
      throw invalid('responseFormat must be url or b64_json');
    try {
      const answer = await this.clients.for(key).images.generate(
        {
          prompt,
          ...(model === undefined ? {} : { model }),
          ...(n === undefined ? {} : { n }),
          ...(size === undefined ? {} : { size: size as never }),
          ...(quality === undefined ? {} : { quality: quality as never }),
          ...(responseFormat === undefined ? {} : { response_format: responseFormat }),
        },
        { signal },
      );
      const images = (answer.data ?? []).map((image) => ({
        ...(image.url === undefined ? {} : { url: image.url }),
        ...(image.b64_json === undefined ? {} : { b64Json: image.b64_json }),
        ...(image.revised_prompt === undefined ? {} : { revisedPrompt: image.revised_prompt }),
      }));
      const usage: MediaUsage = {
        model: model ?? DEFAULT_IMAGE_MODEL,
        promptTokens: answer.usage?.input_tokens ?? 0,
        completionTokens: answer.usage?.output_tokens ?? 0,
        images: { count: images.length, size: size ?? '1024x1024', ...(quality === undefined ? {} : { quality }) },
      };
      return { result: { images }, usage };
    } catch (error) {
      throw toSdkError(error, key.apiKey);
    }
  }

  /** The text spoken in `audio` (`response_format: json`). */
  async transcribe(
    key: LlmKey,
    audio: AudioFile,
    options: TranscribeOptions = {},
    signal?: AbortSignal,
  ): Promise<Metered<TranscribeResponse>> {
    const { language, prompt } = options;
    const model = options.model ?? DEFAULT_TRANSCRIPTION_MODEL;
    for (const [name, value] of Object.entries({ language, prompt, model })) optionalText(name, value);
    const bytes = Buffer.from(audio.base64, 'base64');
    if (bytes.length === 0) throw invalid('the audio is empty');
    try {
      const file = await toFile(bytes, audio.filename);
      const answer = await this.clients.for(key).audio.transcriptions.create(
        {
          file,
          model,
          response_format: 'json',
          ...(language === undefined ? {} : { language }),
          ...(prompt === undefined ? {} : { prompt }),
        },
        { signal },
      );
      const billed = answer.usage;
      const usage: MediaUsage = {
        model,
        promptTokens: billed?.type === 'tokens' ? billed.input_tokens : 0,
        completionTokens: billed?.type === 'tokens' ? billed.output_tokens : 0,
        ...(billed?.type === 'duration' ? { audioSeconds: billed.seconds } : {}),
      };
      return { result: { text: answer.text }, usage };
    } catch (error) {
      throw toSdkError(error, key.apiKey);
    }
  }

  /** One vector per input, in input order. */
  async createEmbeddings(
    key: LlmKey,
    input: string | string[],
    options: EmbeddingsOptions = {},
    signal?: AbortSignal,
  ): Promise<Metered<EmbeddingsResponse>> {
    const inputs = typeof input === 'string' ? [input] : input;
    if (
      !Array.isArray(inputs) ||
      inputs.length === 0 ||
      inputs.length > MAX_EMBEDDING_INPUTS ||
      inputs.some((s) => typeof s !== 'string' || s === '')
    ) {
      throw invalid(`input must be a non-empty text or a list of 1 to ${MAX_EMBEDDING_INPUTS} non-empty texts`);
    }
    const model = options.model ?? DEFAULT_EMBEDDING_MODEL;
    optionalText('model', model);
    const { dimensions } = options;
    if (dimensions !== undefined && (!Number.isInteger(dimensions) || dimensions < 1))
      throw invalid('dimensions must be a positive integer');
    try {
      const answer = await this.clients
        .for(key)
        .embeddings.create({ model, input: inputs, ...(dimensions === undefined ? {} : { dimensions }) }, { signal });
      const embeddings = [...answer.data].sort((a, b) => a.index - b.index).map((item) => Array.from(item.embedding));
      const promptTokens = answer.usage?.prompt_tokens ?? 0;
      return { result: { embeddings, usage: { promptTokens } }, usage: { model, promptTokens, completionTokens: 0 } };
    } catch (error) {
      throw toSdkError(error, key.apiKey);
    }
  }
}
