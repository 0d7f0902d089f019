import { chatCompletion, env, lark, listenToEvent, log, store, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant in a Feishu/Lark chat. Be concise.';
const RESTART_COMMAND = '/restart';
/** How long a pending `/restart` waits for the next message (seconds). */
const RESTART_TTL = 24 * 3600;

/** The fields of an `im.message.receive_v1` message this flow reads (`payload.event.message`). */
interface LarkMessage {
  message_type: string;
  /** A JSON string; `{"text": "@_user_1 hello"}` for text, mentions written as their `@_user_N` key. */
  content: string;
}

export async function run(): Promise<void> {
  await listenToEvent(lark.chat(env('app'), env('chat', '*')), ['message'], handler);
}

async function handler(event: FlowEvent): Promise<void> {
  const { chatId, threadId, messageId, sender } = lark.context;
  // Other bots' messages reach flows too (never our own): answering them could loop.
  if (sender.isBot) return;
  const text = textOf(event.payload.event.message as LarkMessage);
  if (text === '') return;
  const conversation = threadId ? `${chatId}/${threadId}` : chatId;
  // Answers quote the message, in its thread when it is in one.
  const reply = { replyTo: messageId, threadId };
  if (text === RESTART_COMMAND) {
    await store.set(restartKey(conversation), true, { ttl: RESTART_TTL });
    await lark.sendMessage(chatId, 'Ok, I am starting a new conversation.', reply);
    return;
  }
  const restart = (await store.get(restartKey(conversation))) === true;
  const { choice } = await chatCompletion(env('openai_key_name'), conversation, text, {
    systemPrompt: env('system_prompt', DEFAULT_SYSTEM_PROMPT),
    restart,
  });
  if (restart) await store.del(restartKey(conversation));
  const posted = await lark.sendMessage(chatId, choice, reply);
  log.info(`answered ${conversation} with message ${posted.messageId}`);
}

/** A text message's text without its @mentions (`@_user_1`: in a group the bot hears only messages that mention it); '' for other types. */
function textOf(message: LarkMessage): string {
  if (message.message_type !== 'text') return '';
  const { text } = JSON.parse(message.content) as { text?: string };
  return (text ?? '').replace(/@_user_\d+/g, '').trim();
}

function restartKey(conversation: string): string {
  return `restart:${conversation}`;
}
