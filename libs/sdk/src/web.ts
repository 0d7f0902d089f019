import type { SdkHost } from './host';
import { SdkError, type ChatContext, type EventSource } from './types';

/** A preset role of a web chat: the visitor picks it by `name`; the flow gets both with each message. */
export interface WebChatRole {
  /** Shown in the page's role picker, e.g. `Translator`; unique within the chat. */
  name: string;
  /** What the flow hands to `chatCompletion` as `systemPrompt` while the visitor talks to this role. */
  systemPrompt: string;
}

/** Options of {@link WebApi.chat}, stored with the subscription and read by the page (JSON only). */
export interface WebChatOptions {
  /** The page's heading and title; default: the chat's name. */
  title?: string;
  /** Preset roles, the first one picked at first; none: no picker, `web.context.role` stays undefined. */
  roles?: WebChatRole[];
  /**
   * The name of a generic secret of the flow's owner holding the chat's password: visitors must enter
   * it before chatting (checked on the server against its argon2id hash; wrong guesses are rate-limited).
   */
  password?: string;
  /**
   * The name of the owner's LLM key whose Whisper-compatible `audio/transcriptions` endpoint turns the
   * visitor's voice messages into text; none: the page offers no microphone.
   */
  transcriptionKey?: string;
  /** The transcription model; default `whisper-1`. */
  transcriptionModel?: string;
}

/** `web.context`: the chat app context, with the role the visitor picked and whether they started a new chat. */
export interface WebChatContext extends ChatContext {
  /** `account` is the chat's name; `chatId` the visitor's conversation id (new after "New chat"); `sender` the visitor. */
  role?: WebChatRole;
  /** True for the first message after "New chat" (or a role change): start the conversation over. */
  restart: boolean;
}

/**
 * The payload of a web chat's `message` event (`event.payload`): what the visitor sent, in which
 * conversation, under which role.
 */
export interface WebChatMessage {
  /** The chat's name, as `web.chat(name)` declared it (lower-case). */
  chat: string;
  /** The visitor's current conversation: a new id after "New chat". Use it as `chatCompletion`'s conversation id. */
  conversationId: string;
  /** The platform's id of this message. */
  messageId: string;
  text: string;
  /** The role the visitor picked, with its system prompt; absent for a chat without roles. */
  role?: WebChatRole;
  /** True for the first message of a new conversation the visitor started ("New chat", another role). */
  restart: boolean;
  /** The visitor: a pseudonymous id, stable for their browser session; visitors are not users. */
  visitor: { id: string };
  /** When the visitor sent it (ISO 8601). */
  sentAt: string;
}

/** Options of {@link WebApi.replyImage}. */
export interface WebImageOptions {
  /** The image's text alternative, shown when it cannot be loaded and read by screen readers. */
  alt?: string;
}

/** `web` in a flow: a chat page anyone with its URL can open, served by the platform. */
export interface WebApi {
  /**
   * The source for `listenToEvent(web.chat('helpdesk', options), ['message'], handler)`: the web chat
   * `name` of this flow, served at `<PUBLIC_URL>/chat/<key>` (the key is listed by
   * `GET /api/flows/:name` as `webChats`, kept across redeploys, rotatable).
   * @throws SdkError INVALID_ARGUMENT for a name that is not 1–64 of `a-z 0-9 _ . -`, or bad options.
   */
  chat(name: string, options?: WebChatOptions): EventSource;
  /**
   * Answers the visitor whose message the run handles: a whole text, or an async iterable of text
   * deltas (such as `chatCompletion(..., { stream: true })`) shown as they come. The page renders
   * Markdown. Resolves when the answer is complete; one answer at a time.
   * @throws SdkError NOT_CONNECTED outside a run of a web chat message; the iterable's own error.
   */
  reply(answer: string | AsyncIterable<string>): Promise<void>;
  /** Shows an image (an `https:`, `http:` or `data:image/…` URL) as an answer. @throws SdkError INVALID_ARGUMENT, NOT_CONNECTED */
  replyImage(url: string, options?: WebImageOptions): Promise<void>;
  /** The chat, the visitor's conversation and role (see {@link WebChatContext}). */
  readonly context: WebChatContext;
}

const CHAT_NAME = /^[a-z0-9_.-]{1,64}$/;

function invalid(message: string): never {
  throw new SdkError('INVALID_ARGUMENT', message);
}

/** `options` checked and copied as JSON. @throws SdkError INVALID_ARGUMENT */
function chatOptions(options: WebChatOptions): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalid('web.chat options must be an object');
  const { title, roles, password, transcriptionKey, transcriptionModel } = options;
  for (const [name, value] of Object.entries({ title, password, transcriptionKey, transcriptionModel })) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) invalid(`web.chat option ${name} must be a non-empty string`);
  }
  if (roles !== undefined) {
    if (!Array.isArray(roles)) invalid('web.chat option roles must be a list of { name, systemPrompt }');
    const names = new Set<string>();
    for (const role of roles) {
      if (!role || typeof role.name !== 'string' || role.name === '' || typeof role.systemPrompt !== 'string') {
        invalid('each web.chat role needs a name and a systemPrompt (strings)');
      }
      if (names.has(role.name)) invalid(`two web.chat roles are named ${role.name}`);
      names.add(role.name);
    }
  }
  return JSON.parse(
    JSON.stringify({
      title,
      roles: roles?.map(({ name, systemPrompt }) => ({ name, systemPrompt })),
      password,
      transcriptionKey,
      transcriptionModel,
    }),
  ) as Record<string, unknown>;
}

/**
 * Sends an iterable's deltas as they come: while one bridge call is on its way, later deltas gather
 * and go in the next one, so a fast stream costs a few calls rather than one per token.
 */
async function streamReply(host: SdkHost, answer: AsyncIterable<string>): Promise<void> {
  let pending = '';
  let sending: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (pending !== '') {
      const delta = pending;
      pending = '';
      await host.call('web.reply', [{ delta }]);
    }
    sending = undefined;
  };
  try {
    for await (const delta of answer) {
      if (typeof delta !== 'string') invalid('web.reply streams text: each delta must be a string');
      pending += delta;
      sending ??= flush();
    }
    await sending;
    await flush();
  } catch (error) {
    await sending?.catch(() => undefined);
    await host.call('web.reply', [{ done: true, failed: true }]).catch(() => undefined);
    throw error;
  }
  await host.call('web.reply', [{ done: true }]);
}

/** The `web` namespace of the SDK, bound to `host`. */
export function webApi(host: SdkHost): WebApi {
  return {
    chat(name, options = {}) {
      if (typeof name !== 'string' || !CHAT_NAME.test(name.toLowerCase())) {
        invalid(`web.chat(name) needs a name of 1 to 64 letters, digits, _ . or -, got ${JSON.stringify(name)}`);
      }
      return { provider: 'web', target: name.toLowerCase(), options: chatOptions(options) };
    },
    async reply(answer) {
      if (typeof answer === 'string') {
        await host.call('web.reply', [{ delta: answer, done: true }]);
        return;
      }
      if (!answer || typeof (answer as AsyncIterable<string>)[Symbol.asyncIterator] !== 'function') {
        invalid('web.reply needs a text or an async iterable of text deltas');
      }
      await streamReply(host, answer);
    },
    async replyImage(url, options = {}) {
      if (typeof url !== 'string' || !/^(https?:|data:image\/)/i.test(url))
        invalid('web.replyImage needs an https:, http: or data:image/ URL');
      await host.call('web.replyImage', [url, { alt: typeof options.alt === 'string' ? options.alt : undefined }]);
    },
    get context() {
      return host.context('web') as WebChatContext;
    },
  };
}
