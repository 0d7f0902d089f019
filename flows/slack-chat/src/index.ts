import { chatCompletion, env, listenToEvent, log, slack, store, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant in a Slack channel. Be concise; use Slack mrkdwn.';
const RESTART_COMMAND = '/restart';
/** How long a pending `/restart` waits for the next message (seconds). */
const RESTART_TTL = 24 * 3600;

export async function run(): Promise<void> {
  await listenToEvent(slack.chat(env('workspace'), env('channel')), ['message'], handler);
}

async function handler(event: FlowEvent): Promise<void> {
  const text = String(event.payload.event.text ?? '').trim();
  if (text === '') return;
  // The message's thread, or the one an answer under a top-level message starts: a conversation each.
  const { chatId, threadId } = slack.context;
  const conversation = `${chatId}/${threadId}`;
  if (text === RESTART_COMMAND) {
    await store.set(restartKey(conversation), true, { ttl: RESTART_TTL });
    await slack.sendMessage(chatId, 'Ok, I am starting a new conversation.', { threadId });
    return;
  }
  const restart = (await store.get(restartKey(conversation))) === true;
  const { choice } = await chatCompletion(env('openai_key_name'), conversation, text, {
    systemPrompt: env('system_prompt', DEFAULT_SYSTEM_PROMPT),
    restart,
  });
  if (restart) await store.del(restartKey(conversation));
  const posted = await slack.sendMessage(chatId, choice, { threadId });
  log.info(`answered ${conversation} with message ${posted.messageId}`);
}

function restartKey(conversation: string): string {
  return `restart:${conversation}`;
}
