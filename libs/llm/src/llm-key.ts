/**
 * What a named secret of kind "LLM key" holds once decrypted (by `@openflows/secrets`).
 * Only the host sees it; flow code refers to the secret by name.
 */
export interface LlmKey {
  /** Sent as `Authorization: Bearer <apiKey>`. Never logged, never put into an error message. */
  apiKey: string;
  /** An OpenAI-compatible base URL including `/v1`; defaults to the platform's `OPENAI_BASE_URL`. */
  baseURL?: string;
  /** Model used when the flow does not name one; before the platform default `gpt-4o-mini`. */
  model?: string;
  /** Context window in tokens, for models our table does not know (self-hosted ones); wins over the table. */
  contextWindow?: number;
  /** USD per million prompt tokens, instead of the price table's (`prices.ts`). */
  promptPrice?: number;
  /** USD per million completion tokens, instead of the price table's. */
  completionPrice?: number;
}
