import type { LlmKey } from './llm-key';
import { OpenAiClients, toSdkError, type OpenAiClientOptions } from './openai-clients';

/** A model the key's server offers (`GET /models`). */
export interface ModelInfo {
  id: string;
  ownedBy: string;
}

/**
 * The models an LLM key's server lists, for a model picker and to check a key before a flow uses it.
 * @throws SdkError LLM_FAILED when the server refuses the key or cannot be reached.
 */
export class ModelsService {
  private readonly clients: OpenAiClients;

  constructor(options: OpenAiClientOptions) {
    this.clients = new OpenAiClients(options);
  }

  /** Every model of the list, sorted by id. */
  async list(key: LlmKey): Promise<ModelInfo[]> {
    try {
      const models: ModelInfo[] = [];
      for await (const model of this.clients.for(key).models.list()) models.push({ id: model.id, ownedBy: model.owned_by });
      return models.sort((a, b) => a.id.localeCompare(b.id));
    } catch (error) {
      throw toSdkError(error, key.apiKey);
    }
  }
}
