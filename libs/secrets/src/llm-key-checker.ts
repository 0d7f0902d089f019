import { Inject, Injectable } from '@nestjs/common';
import OpenAI from 'openai';
import { APP_CONFIG, type AppConfig } from '@openflows/common';

/** How long a check waits for the provider (ms). */
const CHECK_TIMEOUT_MS = 10_000;
/** The model of the one-token completion when the key names none (the platform's default). */
const DEFAULT_MODEL = 'gpt-4o-mini';

/** What checking an LLM key with its provider found; `checkedAt` is ISO 8601. */
export interface LlmKeyCheck {
  /** `ok`: the provider accepted the key; `failed`: it did not, or could not be reached (`error` says why). */
  status: 'ok' | 'failed';
  checkedAt: string;
  /** The provider's error, or why it could not be reached; never the key. */
  error?: string;
}

/** An LLM key as the check needs it. */
export interface CheckedLlmKey {
  value: string;
  baseURL?: string;
  model?: string;
}

/**
 * Checks an LLM key against its OpenAI-compatible base URL (the key's, else `OPENAI_BASE_URL`) with
 * the `openai` client, no retries: `GET /models`, or, for a server without that route (404, 405), a
 * one-token chat completion with the key's model. The key is sent only to that base URL and never
 * appears in the result.
 */
@Injectable()
export class LlmKeyChecker {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** See the class. Never throws: a refusal or a network failure is a `failed` check with the reason. */
  async check(key: CheckedLlmKey, now = () => new Date()): Promise<LlmKeyCheck> {
    const client = new OpenAI({
      apiKey: key.value,
      baseURL: key.baseURL ?? this.config.llm.baseUrl,
      maxRetries: 0,
      timeout: CHECK_TIMEOUT_MS,
    });
    try {
      await this.ask(client, key);
      return { status: 'ok', checkedAt: now().toISOString() };
    } catch (error) {
      return { status: 'failed', checkedAt: now().toISOString(), error: reasonOf(error, key.value) };
    }
  }

  private async ask(client: OpenAI, key: CheckedLlmKey): Promise<void> {
    try {
      await client.models.list();
    } catch (error) {
      if (!(error instanceof OpenAI.APIError) || (error.status !== 404 && error.status !== 405)) throw error;
      await client.chat.completions.create({
        model: key.model ?? DEFAULT_MODEL,
        messages: [{ role: 'user', content: 'ping' }],
        max_tokens: 1,
      });
    }
  }
}

/** The provider's answer (`401 Incorrect API key provided…`), or why there was none; the key redacted if quoted. */
function reasonOf(error: unknown, apiKey: string): string {
  const message =
    error instanceof OpenAI.APIError
      ? error.status === undefined
        ? `no answer from the provider: ${error.message}`
        : error.message
      : error instanceof Error
        ? error.message
        : String(error);
  return message.split(apiKey).join('[redacted]');
}
