import { objectArgument, textArgument } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import type { ChatSessionForm, ChatSessionOptions, ToolResult } from '@openflows/sdk/llm';
import type { RunServices } from '../run';
import { ChatSessions } from './chat-sessions';
import type { AudioBytes, LlmServices } from './llm-services';

type Capability = (args: unknown[]) => Promise<unknown>;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The `llm.*` capabilities of ONE run (the SDK's `libs/sdk/src/llm.ts` sends them): chat sessions
 * (`llm.chat.start`, `llm.chat.next`, see {@link ChatSessions}), `llm.createImage`,
 * `llm.transcribe` (an audio URL is downloaded with the run's `fetch`, under its egress policy and
 * limits) and `llm.createEmbeddings`. Arguments arrive as parsed JSON and are checked for shape
 * here; the LLM services check the rest. Chat calls and images are journaled effects (a retry does
 * not repeat them); transcriptions and embeddings read, and are simply asked again.
 */
export class LlmCapabilities {
  private readonly sessions: ChatSessions;

  constructor(private readonly services: RunServices) {
    this.sessions = new ChatSessions(services.llm, services.journal);
  }

  /** The capability named `name`, or undefined when it is not one of these. */
  get(name: string): Capability | undefined {
    switch (name) {
      case 'llm.chat.start':
        return async ([keyName, form, options]) =>
          this.sessions.start(
            textArgument(keyName, 'keyName'),
            formArgument(form),
            objectArgument(options, 'options') as ChatSessionOptions,
          );
      case 'llm.chat.next':
        return ([id, results]) => this.sessions.next(Number(id), results as ToolResult[] | undefined);
      case 'llm.createImage':
        return (args) => {
          const [keyName, prompt, options] = args;
          const create = () =>
            this.llm().createImage(textArgument(keyName, 'keyName'), textArgument(prompt, 'prompt'), objectArgument(options, 'options'));
          // Images are made (and paid) once: a retry gets the recorded answer.
          return this.services.journal ? this.services.journal.step(name, args, create) : create();
        };
      case 'llm.transcribe':
        return async ([keyName, audio, options]) => {
          const key = textArgument(keyName, 'keyName');
          const bytes = await this.audio(objectArgument(audio, 'audio'));
          return this.llm().transcribe(key, bytes, objectArgument(options, 'options'));
        };
      case 'llm.createEmbeddings':
        return ([keyName, input, options]) =>
          this.llm().createEmbeddings(textArgument(keyName, 'keyName'), input as string | string[], objectArgument(options, 'options'));
      default:
        return undefined;
    }
  }

  /** The run ended: chat calls still under way are cancelled. */
  close(): void {
    this.sessions.close();
  }

  private llm(): LlmServices {
    if (!this.services.llm) throw new SdkError('NOT_IN_RUNTIME', 'images, transcriptions and embeddings are not available here');
    return this.services.llm;
  }

  /** The audio's bytes: given in base64, or downloaded from its URL by the run's `fetch`. */
  private async audio(audio: Record<string, unknown>): Promise<AudioBytes> {
    const filename = audio.filename === undefined ? undefined : textArgument(audio.filename, 'audio.filename');
    if (typeof audio.base64 === 'string') {
      const base64 = audio.base64.replace(/\s+/g, '');
      if (!BASE64.test(base64)) throw new SdkError('INVALID_ARGUMENT', 'audio.base64 must be non-empty base64');
      return { base64, filename: filename ?? 'audio.wav' };
    }
    if (typeof audio.url !== 'string') throw new SdkError('INVALID_ARGUMENT', 'audio must be { base64, filename? } or { url, filename? }');
    if (!this.services.fetch) throw new SdkError('NOT_IN_RUNTIME', 'audio URLs cannot be fetched here');
    const response = await this.services.fetch({ url: audio.url });
    if (response.status < 200 || response.status > 299) {
      throw new SdkError('FETCH_FAILED', `the audio URL answered ${response.status}`, { status: response.status });
    }
    if (response.body === '') throw new SdkError('INVALID_ARGUMENT', 'the audio URL answered an empty body');
    const named = decodeURIComponent(new URL(response.url).pathname.split('/').pop() ?? '');
    return { base64: response.body, filename: filename ?? (named.includes('.') ? named : 'audio.wav') };
  }
}

function formArgument(form: unknown): ChatSessionForm {
  const value = objectArgument(form, 'the chat call');
  if (Array.isArray(value.messages)) return { messages: value.messages };
  return { conversationId: textArgument(value.conversationId, 'conversationId'), text: textArgument(value.text, 'text') };
}
