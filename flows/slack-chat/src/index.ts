import { chatCompletion, env, listenToEvent, log, slack, store, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant in a Slack channel. Be concise; use Slack mrkdwn.';
const RESTART_COMMAND = '/restart';
/** How long a pending `/restart` waits for the next message (seconds). */
const RESTART_TTL = 24 * 3600;

/** The fields of a Slack `message` event this flow reads (Events API, `payload.event`). */
interface SlackMessage {
  channel: string;
  text?: string;
  ts: string;
  thread_ts?: string;
}

export async function run(): Promise<void> {
  await listenToEvent(slack.channel(env('workspace'), env('channel')), ['message'], handler);
}

async function handler(event: FlowEvent): Promise<void> {
  const message = event.payload.event as SlackMessage;
  const text = (message.text ?? '').trim();
  if (text === '') return;
  const conversation = conversationOf(message);
  // Replies go in the thread: the message's own thread, or a new one under the message.
  const threadTs = message.thread_ts ?? message.ts;
  if (text === RESTART_COMMAND) {
    await store.set(restartKey(conversation), true, { ttl: RESTART_TTL });
    await slack.sendMessage(message.channel, 'Ok, I am starting a new conversation.', { threadTs });
    return;
  }
  const restart = (await store.get(restartKey(conversation))) === true;
  const { choice } = await chatCompletion(env('openai_key_name'), conversation, text, {
    systemPrompt: env('system_prompt', DEFAULT_SYSTEM_PROMPT),
    restart,
  });
  if (restart) await store.del(restartKey(conversation));
  const posted = await slack.sendMessage(message.channel, choice, { threadTs });
  log.info(`answered ${conversation} with message ${posted.ts}`);
}

/** One conversation per channel, or per thread when the message is in a thread. */
function conversationOf(message: SlackMessage): string {
  return message.thread_ts ? `${message.channel}/${message.thread_ts}` : message.channel;
}

function restartKey(conversation: string): string {
  return `restart:${conversation}`;
}
