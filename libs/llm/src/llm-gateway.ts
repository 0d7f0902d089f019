import type { LlmServices } from '@openflows/runtime';
import type { ChatCompletion, ChatResponse } from '@openflows/sdk/types';
import type { ChatService } from './chat.service';
import type { LlmKey } from './llm-key';
import { roundCost, type LlmUsageStore } from './llm-usage.store';
import type { MediaService, MediaUsage } from './media.service';
import { costOf } from './prices';

/** One LLM call of a run as it is accounted: what, with which key and model, tokens and cost. */
export interface LlmCallRecord {
  kind: 'chat' | 'image' | 'transcription' | 'embeddings';
  keyName: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Estimated, see `prices.ts`. */
  costUsd: number;
  /** Chat calls: the conversation id (none in the messages form) and whether it restarted. */
  conversationId?: string;
  restarted?: boolean;
}

/** What a run's LLM calls need from the host that runs it. */
export interface LlmRunContext {
  flowId: string;
  /** The owner's LLM key named `name`, its use recorded. @throws SdkError SECRET_NOT_FOUND when there is none. */
  key(name: string): Promise<LlmKey>;
  /** After each successful call: for the run's totals and its log. */
  used(call: LlmCallRecord): void;
}

/**
 * The LLM side of one run, as RunServices takes it: the basic `chatCompletion` and the
 * {@link LlmServices} (streaming, tools, messages form, images, transcriptions, embeddings), each
 * resolving its key by name, refused with BUDGET_EXCEEDED once the flow used its monthly tokens, and
 * recorded (tokens and estimated cost) per run and per flow and day. One per process.
 */
export class LlmGateway {
  constructor(
    private readonly chat: ChatService,
    private readonly media: MediaService,
    /** Unset (the CLI's local loop): no budgets, no daily figures. */
    private readonly usage?: LlmUsageStore,
  ) {}

  forRun(context: LlmRunContext): { chatCompletion: ChatCompletion; llm: LlmServices } {
    const begin = async (keyName: string) => {
      const key = await context.key(keyName);
      await this.usage?.assertWithinBudget(context.flowId);
      return key;
    };
    const account = async (record: Omit<LlmCallRecord, 'costUsd'>, key: LlmKey, usage: Omit<MediaUsage, 'model'> = record) => {
      const costUsd = roundCost(costOf({ ...usage, model: record.model }, { prompt: key.promptPrice, completion: key.completionPrice }));
      const full = { ...record, costUsd };
      await this.usage?.record(context.flowId, full);
      context.used(full);
    };
    const chatRecord = (keyName: string, key: LlmKey, model: string, response: ChatResponse, conversationId?: string) =>
      account(
        {
          kind: 'chat',
          keyName,
          model,
          ...response.usage,
          ...(conversationId === undefined ? {} : { conversationId, restarted: response.restarted }),
        },
        key,
      );

    const chatCompletion: ChatCompletion = async (keyName, conversationId, text, options) => {
      const key = await begin(keyName);
      const response = await this.chat.complete({ flowId: context.flowId, key, conversationId, text, options });
      await chatRecord(keyName, key, this.chat.modelFor(key, options), response, conversationId);
      return response;
    };

    const llm: LlmServices = {
      chat: async (keyName, form, options, hooks) => {
        const key = await begin(keyName);
        const response = await this.chat.complete({ flowId: context.flowId, key, ...form, options }, hooks);
        await chatRecord(
          keyName,
          key,
          this.chat.modelFor(key, options),
          response,
          'conversationId' in form ? form.conversationId : undefined,
        );
        return response;
      },
      createImage: async (keyName, prompt, options) => {
        const key = await begin(keyName);
        const { result, usage } = await this.media.createImage(key, prompt, options);
        await account(
          { kind: 'image', keyName, model: usage.model, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens },
          key,
          usage,
        );
        return result;
      },
      transcribe: async (keyName, audio, options) => {
        const key = await begin(keyName);
        const { result, usage } = await this.media.transcribe(key, audio, options);
        await account(
          {
            kind: 'transcription',
            keyName,
            model: usage.model,
            promptTokens: usage.promptTokens,
            completionTokens: usage.completionTokens,
          },
          key,
          usage,
        );
        return result;
      },
      createEmbeddings: async (keyName, input, options) => {
        const key = await begin(keyName);
        const { result, usage } = await this.media.createEmbeddings(key, input, options);
        await account(
          { kind: 'embeddings', keyName, model: usage.model, promptTokens: usage.promptTokens, completionTokens: 0 },
          key,
          usage,
        );
        return result;
      },
    };
    return { chatCompletion, llm };
  }
}

/** A run log line for one call: `chatCompletion issue#42: 12 prompt + 30 completion tokens, ~$0.000020, new conversation`. */
export function describeCall(call: LlmCallRecord): string {
  const what =
    call.kind === 'chat'
      ? `chatCompletion${call.conversationId === undefined ? '' : ` ${call.conversationId}`}`
      : { image: 'createImage', transcription: 'transcribe', embeddings: 'createEmbeddings' }[call.kind];
  const cost = call.costUsd > 0 ? `, ~$${call.costUsd.toFixed(6)}` : '';
  return `${what} (${call.model}): ${call.promptTokens} prompt + ${call.completionTokens} completion tokens${cost}${call.restarted ? ', new conversation' : ''}`;
}
