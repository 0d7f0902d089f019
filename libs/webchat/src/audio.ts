/** The audio formats the page sends (MediaRecorder's) and Whisper-compatible endpoints read, by MIME type. */
const EXTENSIONS: Record<string, string> = {
  'audio/webm': 'webm',
  'video/webm': 'webm',
  'audio/ogg': 'ogg',
  'audio/mp4': 'm4a',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
};

/**
 * The file extension of an audio MIME type (parameters such as `;codecs=opus` ignored), which tells
 * the transcription endpoint the format; undefined for a type the web chat does not take.
 */
export function audioExtension(contentType: string | undefined): string | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return Object.hasOwn(EXTENSIONS, type) ? EXTENSIONS[type] : undefined;
}
