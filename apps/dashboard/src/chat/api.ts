/** The page's calls to its chat (`/chat/<key>/…`, see the api's WebChatController), with the visitor's cookie. */

/** What `GET /chat/<key>/state` answers. */
export interface ChatState {
  title: string;
  roles: string[];
  role?: string;
  locked: boolean;
  voice: boolean;
  conversationId?: string;
  transcript: TranscriptEntry[];
}

export type TranscriptEntry =
  | { kind: 'visitor'; id: string; at: number; text: string }
  | { kind: 'answer'; id: string; at: number; text: string }
  | { kind: 'image'; id: string; at: number; url: string; alt?: string };

/** One server-sent `update` of the conversation. */
export type ConversationUpdate =
  | { type: 'delta'; reply: string; text: string; start?: boolean }
  | { type: 'done'; reply: string; failed?: boolean }
  | { type: 'image'; reply: string; url: string; alt?: string }
  | { type: 'message'; id: string; text: string; role?: string }
  | { type: 'end'; message: string; failed?: boolean };

/** A refused call: the platform's `{ code, message, details }`. */
export class ChatError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The chat's base path, `/chat/<key>`, from the page's own address. */
export const base = `/chat/${location.pathname.split('/')[2] ?? ''}`;

async function call<T>(method: string, path: string, body?: BodyInit, type = 'application/json'): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    credentials: 'same-origin',
    headers: method === 'GET' ? {} : { 'content-type': type, 'x-openflows-chat': '1' },
    body,
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) {
    const message = typeof parsed.message === 'string' ? parsed.message : `${res.status} ${res.statusText}`;
    throw new ChatError(res.status, String(parsed.code ?? ''), message, (parsed.details as Record<string, unknown>) ?? {});
  }
  return parsed as T;
}

export const chatApi = {
  state: () => call<ChatState>('GET', '/state'),
  unlock: (password: string) => call<void>('POST', '/password', JSON.stringify({ password })),
  send: (text: string, id: string) => call<{ messageId: string }>('POST', '/messages', JSON.stringify({ text, id })),
  restart: (role?: string) => call<{ conversationId: string }>('POST', '/restart', JSON.stringify(role === undefined ? {} : { role })),
  transcribe: (audio: Blob) => call<{ text: string }>('POST', '/transcriptions', audio, audio.type || 'audio/webm'),
};

/** A random UUID, also outside secure contexts (where `crypto.randomUUID` is missing). */
export function uuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
