import OpenAI, { APIError, toFile } from 'openai';
import { CodedError } from '@openflows/common';

/** The audio formats the page sends (MediaRecorder's) and Whisper-compatible endpoints read, by MIME type. */
const EXTENSIONS: Record<string, string> = {
  'audio/webm': 'webm',
  'audio/ogg': 'ogg',
  'audio/mp4': 'm4a',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'video/webm': 'webm',
};

/** An LLM key as the transcription uses it: the secret's value, base URL (`OPENAI_BASE_URL` when unset) and retries. */
export interface TranscriptionKey {
  apiKey: string;
  baseURL: string;
  maxRetries: number;
}

/** The file extension of an audio MIME type (parameters such as `;codecs=opus` ignored), or undefined for one not accepted. */
export function audioExtension(contentType: string | undefined): string | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return Object.hasOwn(EXTENSIONS, type) ? EXTENSIONS[type] : undefined;
}

/**
 * Turns a voice message into text with the key's Whisper-compatible endpoint
 * (`POST <baseURL>/audio/transcriptions`, multipart `file` and `model`; OpenAI's API reference) through
 * the `openai` client, which retries 408/409/429/5xx.
 * @param contentType the audio's MIME type, one {@link audioExtension} accepts.
 * @throws CodedError WEB_CHAT_TRANSCRIPTION_FAILED (502) when the endpoint refuses or cannot be reached.
 */
export async function transcribe(key: TranscriptionKey, audio: Buffer, contentType: string, model = 'whisper-1'): Promise<string> {
  const client = new OpenAI({ apiKey: key.apiKey, baseURL: key.baseURL, maxRetries: key.maxRetries, timeout: 60_000 });
  const type = contentType.split(';')[0].trim().toLowerCase();
  try {
    const file = await toFile(audio, `voice.${audioExtension(type) ?? 'webm'}`, { type });
    const result = await client.audio.transcriptions.create({ file, model });
    return result.text.trim();
  } catch (error) {
    const detail = error instanceof APIError ? `${error.status ?? ''} ${error.message}`.trim() : String(error);
    throw new CodedError('WEB_CHAT_TRANSCRIPTION_FAILED', `the voice message could not be transcribed (${detail})`, { cause: error });
  }
}
