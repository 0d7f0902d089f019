import { ChatService, InMemoryConversationMemory } from '@openflows/llm';
import { SdkError, type ChatCompletion, type ChatResponse } from '@openflows/sdk';
import { llmApiKey, secretEnvName, type DevConfig } from './dev-config';

/** Conversations expire after this long without messages, as on the platform by default (seconds). */
const CONVERSATION_TTL_SECONDS = 600;
const MAX_RETRIES = 2;

/**
 * The SDK's `chatCompletion` for a local run: the platform's {@link ChatService} with conversations
 * in memory, asking `OPENAI_BASE_URL` with the key from `OPENFLOWS_SECRET_<NAME>` or `OPENAI_API_KEY`.
 * @param onAnswer called after each answer, e.g. to print and add up its usage.
 * The returned function throws SdkError SECRET_NOT_FOUND naming the variable to set when no key is
 * found, and ChatService's errors (LLM_FAILED, INVALID_ARGUMENT).
 */
export function createLocalChat(
  config: DevConfig,
  flowName: string,
  onAnswer: (conversationId: string, response: ChatResponse) => void,
): ChatCompletion {
  const chat = new ChatService(new InMemoryConversationMemory(CONVERSATION_TTL_SECONDS), {
    defaultBaseUrl: config.openaiBaseUrl,
    maxRetries: MAX_RETRIES,
  });
  return async (keyName, conversationId, text, options) => {
    const apiKey = llmApiKey(config, keyName);
    if (!apiKey) {
      throw new SdkError(
        'SECRET_NOT_FOUND',
        `no local value for secret "${keyName}": set ${secretEnvName(keyName)} (or OPENAI_API_KEY) to the API key`,
      );
    }
    const response = await chat.complete({ flowId: flowName, conversationId, key: { apiKey }, text, options });
    onAnswer(conversationId, response);
    return response;
  };
}
