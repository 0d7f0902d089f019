import { chatCompletion, env, listenToEvent, log, slack, store, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant in a Slack channel. Be concise; use Slack mrkdwn.';

export async function run(): Promise<void> {
  const workspace = env('workspace');
  // Every message of the channel, a mention of the bot in any channel it is in, and `/restart`.
  await listenToEvent(slack.chat(workspace, env('channel')), ['message'], onMessage);
  await listenToEvent(slack.chat(workspace, '*'), ['app_mention'], answer);
  await listenToEvent(slack.commands(workspace, ['restart']), ['restart'], restart);
}

/** A message of the served channel; one that mentions the bot is answered as its `app_mention`. */
async function onMessage(event: FlowEvent): Promise<void> {
  const botUserId = slack.context.botUserId;
  if (botUserId && String(event.payload.event.text ?? '').includes(`<@${botUserId}>`)) return;
  await answer(event);
}

/** Answers in the message's thread, continuing that thread's conversation. */
async function answer(event: FlowEvent): Promise<void> {
  const { botUserId, chatId, threadId } = slack.context;
  const text = String(event.payload.event.text ?? '')
    .replaceAll(`<@${botUserId}>`, '')
    .trim();
  if (text === '') return;
  const conversation = await conversationOf(chatId, threadId ?? '');
  const { choice } = await chatCompletion(env('openai_key_name'), conversation, text, {
    systemPrompt: env('system_prompt', DEFAULT_SYSTEM_PROMPT),
  });
  const posted = await slack.sendMessage(chatId, choice, { threadId });
  log.info(`answered ${conversation} with message ${posted.messageId}`);
}

/**
 * `/restart`: every conversation of the channel starts over (Slack names the channel a command was
 * typed in, not the thread), by moving the channel to a new generation of conversation ids.
 */
async function restart(): Promise<void> {
  const { chatId } = slack.context;
  await store.set(generationKey(chatId), (await generation(chatId)) + 1);
  await slack.sendMessage(chatId, 'Ok, I am starting a new conversation.');
}

/** One conversation per thread and generation of the channel. */
async function conversationOf(chatId: string, threadId: string): Promise<string> {
  return `${chatId}/${threadId}/${await generation(chatId)}`;
}

async function generation(chatId: string): Promise<number> {
  return (await store.get<number>(generationKey(chatId))) ?? 0;
}

function generationKey(chatId: string): string {
  return `generation:${chatId}`;
}
