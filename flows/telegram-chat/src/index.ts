import { chatCompletion, env, listenToEvent, log, store, telegram, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant answering questions on Telegram.';
const DEFAULT_PLACEHOLDER = 'Typing ...';
const DEFAULT_HELP = 'I am your assistant on Telegram. Ask me any question! To start a new conversation, type the /restart command.';
const RESTARTED = 'Ok, I am starting a new conversation.';
const FAILED = 'Sorry, an error has occurred. Please try again later!';
/** Telegram's limit on a message's text (characters). */
const MAX_TEXT = 4096;
/** How long a pending restart waits for the next message (seconds). */
const RESTART_TTL = 24 * 3600;

/** The fields of a Telegram `Message` this flow reads (Bot API, `payload.message`). */
interface TelegramMessage {
  text?: string;
  chat: { id: number; type: string };
}

export async function run(): Promise<void> {
  await listenToEvent(telegram.chat(env('bot'), env('chat', '*')), ['message'], handler);
}

async function handler(event: FlowEvent): Promise<void> {
  const message = event.payload.message as TelegramMessage;
  const text = (message.text ?? '').trim();
  if (text === '') return;
  const { chatId, threadId, messageId, account } = telegram.context;
  const conversation = threadId ? `${chatId}/${threadId}` : chatId;
  // In groups the answer quotes the question it answers; a private chat needs no quoting.
  const options = { threadId, replyTo: message.chat.type === 'private' ? undefined : messageId };
  const command = commandOf(text, account);
  if (command === 'other-bot') return;
  if (command === '/help' || command === '/start') {
    await telegram.sendMessage(chatId, env('help_message', DEFAULT_HELP), options);
    if (command === '/start') await store.set(restartKey(conversation), true, { ttl: RESTART_TTL });
    return;
  }
  if (command === '/restart') {
    await telegram.sendMessage(chatId, RESTARTED, options);
    await store.set(restartKey(conversation), true, { ttl: RESTART_TTL });
    log.info(`restarted the conversation of ${conversation}`);
    return;
  }
  const placeholder = await telegram.sendMessage(chatId, env('placeholder', DEFAULT_PLACEHOLDER), options);
  const restart = (await store.get(restartKey(conversation))) === true;
  let answer: string;
  try {
    const { choice } = await chatCompletion(env('openai_key_name'), conversation, text, {
      systemPrompt: env('system_prompt', DEFAULT_SYSTEM_PROMPT),
      restart,
    });
    if (restart) await store.del(restartKey(conversation));
    answer = choice;
  } catch (error) {
    log.error(`the model failed: ${String(error)}`);
    answer = FAILED;
  }
  await telegram.client.editMessageText(chatId, Number(placeholder.messageId), answer.slice(0, MAX_TEXT));
  log.info(`answered ${conversation} in message ${placeholder.messageId}`);
}

/**
 * The command a message starts with (`/start`, `/restart@our_bot` → `/restart`), lower-case;
 * `other-bot` for a command addressed to another bot of the group; undefined for plain text.
 */
function commandOf(text: string, account: string): string | undefined {
  const match = /^(\/[a-z0-9_]+)(?:@([a-z0-9_]+))?(?:\s|$)/i.exec(text);
  if (!match) return undefined;
  if (match[2] && match[2].toLowerCase() !== account.toLowerCase()) return 'other-bot';
  return match[1].toLowerCase();
}

function restartKey(conversation: string): string {
  return `restart:${conversation}`;
}
