import { ChatService, InMemoryConversationMemory, LlmGateway, MediaService, type LlmCallRecord } from '@openflows/llm';
import type { LlmServices } from '@openflows/runtime';
import { SdkError, type ChatCompletion } from '@openflows/sdk';
import { llmApiKey, secretEnvName, type DevConfig } from './dev-config';

/** Conversations expire after this long without messages, as on the platform by default (seconds). */
const CONVERSATION_TTL_SECONDS = 600;
const MAX_RETRIES = 2;

/**
 * The SDK's LLM calls for a local run: the platform's {@link LlmGateway} (chat, streaming, tools,
 * images, transcriptions, embeddings) with conversations in memory and no budgets, asking
 * `OPENAI_BASE_URL` with the key from `OPENFLOWS_SECRET_<NAME>` or `OPENAI_API_KEY`.
 * @param onCall called after each call with its tokens and estimated cost, e.g. to print and add them up.
 * The calls throw SdkError SECRET_NOT_FOUND naming the variable to set when no key is found, and the
 * services' errors (LLM_FAILED, INVALID_ARGUMENT).
 */
export function createLocalLlm(
  config: DevConfig,
  flowName: string,
  onCall: (call: LlmCallRecord) => void,
): { chatCompletion: ChatCompletion; llm: LlmServices } {
  const clients = { defaultBaseUrl: config.openaiBaseUrl, maxRetries: MAX_RETRIES };
  const chat = new ChatService(new InMemoryConversationMemory(CONVERSATION_TTL_SECONDS), clients);
  const gateway = new LlmGateway(chat, new MediaService(clients));
  return gateway.forRun({
    flowId: flowName,
    key: async (keyName) => {
      const apiKey = llmApiKey(config, keyName);
      if (!apiKey) {
        throw new SdkError(
          'SECRET_NOT_FOUND',
          `no local value for secret "${keyName}": set ${secretEnvName(keyName)} (or OPENAI_API_KEY) to the API key`,
        );
      }
      return { apiKey };
    },
    used: onCall,
  });
}
