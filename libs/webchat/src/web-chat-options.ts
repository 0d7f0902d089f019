import type { WebChatOptions, WebChatRole } from '@openflows/sdk';

/**
 * A chat's options as its subscription stored them (`web.chat(name, options)`, checked by the SDK at
 * deploy), read defensively: the stored JSON came from flow code.
 */
export function chatOptionsOf(stored: Record<string, unknown> | null | undefined): WebChatOptions {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const options = stored ?? {};
  const roles = Array.isArray(options.roles)
    ? (options.roles as unknown[]).filter(
        (role): role is WebChatRole =>
          typeof role === 'object' &&
          role !== null &&
          typeof (role as WebChatRole).name === 'string' &&
          typeof (role as WebChatRole).systemPrompt === 'string',
      )
    : [];
  return {
    title: text(options.title),
    roles,
    password: text(options.password),
    transcriptionKey: text(options.transcriptionKey),
    transcriptionModel: text(options.transcriptionModel),
  };
}
