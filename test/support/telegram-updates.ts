/**
 * Telegram updates for tests, built from the example updates Telegram publishes
 * (`test/fixtures/telegram/`, see its README), brought to the current Bot API: `from.is_bot` (always
 * sent now), a fresh `update_id` and `message_id`, and forum topics (`is_topic_message`,
 * `message_thread_id`) where asked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', 'fixtures', 'telegram');

/** The published samples, by file name (without `.json`). */
export type ExampleUpdateName =
  | 'message-text'
  | 'message-reply'
  | 'edited-message'
  | 'message-entities'
  | 'message-voice'
  | 'message-audio'
  | 'message-document'
  | 'callback-query'
  | 'inline-query';

/** A fresh copy of a published example update, exactly as published. */
export function exampleUpdate(name: ExampleUpdateName): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, any>;
}

/** The private chat and user of the samples (`Test Firstname`, id 1111111). */
export const SAMPLE_USER_ID = 1111111;

/** A forum supergroup (topics enabled), as `Chat` describes one. */
export const FORUM_CHAT = { id: -1001234567890, type: 'supergroup', title: 'OpenFlows forum', is_forum: true };

let nextUpdateId = 500_000 + Math.floor(Math.random() * 100_000);
let nextMessageId = 2_000;

export interface TextUpdateOptions {
  /** The update's field: `message` (default) or `edited_message`. */
  kind?: 'message' | 'edited_message';
  /** The chat (default: the samples' private chat). */
  chat?: Record<string, unknown>;
  /** The sender (default: the samples' user, with `is_bot: false`). */
  from?: Record<string, unknown>;
  /** A forum topic: sets `message_thread_id` and `is_topic_message`. */
  topic?: number;
  updateId?: number;
  messageId?: number;
}

/**
 * A text message update from the published "Message with text" sample: its chat and sender unless
 * overridden, with `text`, a new `update_id` and `message_id`, and the date of now.
 */
export function textUpdate(text: string, options: TextUpdateOptions = {}): Record<string, any> {
  const sample = exampleUpdate('message-text');
  const message = sample.message as Record<string, any>;
  const kind = options.kind ?? 'message';
  const update: Record<string, any> = {
    update_id: options.updateId ?? nextUpdateId++,
    [kind]: {
      ...message,
      message_id: options.messageId ?? nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: options.chat ?? message.chat,
      from: options.from ?? { ...message.from, is_bot: false },
      ...(options.topic !== undefined ? { message_thread_id: options.topic, is_topic_message: true } : {}),
      ...(kind === 'edited_message' ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
      text,
    },
  };
  return update;
}
