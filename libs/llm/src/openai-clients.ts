import { SdkError } from '@openflows/sdk/types';
import OpenAI from 'openai';
import type { LlmKey } from './llm-key';

/** Settings the `openai` clients share, from the platform configuration (`llm.*`). */
export interface OpenAiClientOptions {
  /** Used when the key has no `baseURL` (`OPENAI_BASE_URL`). */
  defaultBaseUrl: string;
  /** Retries of the `openai` package for 408/409/429/5xx and connection errors (honours Retry-After). */
  maxRetries: number;
  /** Time limit of each attempt in milliseconds; the `openai` package's 10 minutes when unset. */
  timeoutMs?: number;
}

// Clients keep connection pools; bound them in case keys rotate often.
const MAX_CACHED_CLIENTS = 100;

/** Most retries a flow may ask for with `retryTimes`. */
export const MAX_RETRY_TIMES = 10;

/** One `openai` client per (base URL, API key), least recently used dropped past 100. */
export class OpenAiClients {
  private readonly clients = new Map<string, OpenAI>();

  constructor(private readonly options: OpenAiClientOptions) {}

  for(key: LlmKey): OpenAI {
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

/** Request options of one provider call: the flow's `retryTimes`, and the run's abort signal. */
export function requestOptions(retryTimes: number | undefined, signal: AbortSignal | undefined): OpenAI.RequestOptions {
  return { ...(retryTimes === undefined ? {} : { maxRetries: retryTimes }), ...(signal === undefined ? {} : { signal }) };
}

/** Checks a flow's `retryTimes`. @throws SdkError INVALID_ARGUMENT unless an integer from 0 to 10. */
export function assertRetryTimes(retryTimes: unknown): void {
  if (
    retryTimes !== undefined &&
    (!Number.isInteger(retryTimes) || (retryTimes as number) < 0 || (retryTimes as number) > MAX_RETRY_TIMES)
  ) {
    throw new SdkError('INVALID_ARGUMENT', `retryTimes must be an integer from 0 to ${MAX_RETRY_TIMES}, got ${String(retryTimes)}`);
  }
}

/**
 * The provider's failure as the flow sees it: SdkError `LLM_FAILED` with `"<status> <provider
 * message>"`, or `"no answer from the provider: …"` without a status; the API key never in it.
 * Anything that is not the `openai` package's error is returned as it is.
 */
export function toSdkError(error: unknown, apiKey: string): unknown {
  if (!(error instanceof OpenAI.APIError)) return error;
  // APIError's message is already "<status> <provider message>"; connection errors have no status.
  const message = error.status === undefined ? `no answer from the provider: ${error.message}` : error.message;
  // Providers may quote the key they were given; it must not reach the flow or the run log.
  return new SdkError('LLM_FAILED', message.split(apiKey).join('[redacted]'));
}
