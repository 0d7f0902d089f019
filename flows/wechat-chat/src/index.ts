import { chatCompletion, env, listenToEvent, log, store, wechat, type FlowEvent } from '@openflows/sdk';

const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful assistant in a WeChat Official Account. Answer in the language of the question, in plain text (WeChat shows no Markdown), briefly.';
const DEFAULT_WELCOME = 'Thanks for following! Send me a question, by text or by voice. Send /restart to start a new conversation.';
const RESTART_COMMAND = '/restart';
/** How long a pending `/restart` waits for the next message (seconds). */
const RESTART_TTL = 24 * 3600;

/** The fields of a pushed message this flow reads (WeChat's XML elements, as strings). */
interface WechatPush {
  MsgType: string;
  /** A text message's text. */
  Content?: string;
  /** A voice message's text, when speech recognition is on for the account. */
  Recognition?: string;
}

export async function run(): Promise<void> {
  await listenToEvent(wechat.chat(env('account'), '*'), ['message', 'subscribe'], handler);
}

async function handler(event: FlowEvent<WechatPush>): Promise<void> {
  // One conversation per follower: their OpenID.
  const follower = wechat.context.chatId;
  if (event.name === 'subscribe') {
    await wechat.sendMessage(follower, env('welcome', DEFAULT_WELCOME));
    return;
  }
  const text = textOf(event.payload);
  if (text === '') {
    await wechat.sendMessage(follower, 'I can read text and voice messages only.');
    return;
  }
  if (text === RESTART_COMMAND) {
    await store.set(restartKey(follower), true, { ttl: RESTART_TTL });
    await wechat.sendMessage(follower, 'Ok, I am starting a new conversation.');
    return;
  }
  const restart = (await store.get(restartKey(follower))) === true;
  const { choice } = await chatCompletion(env('openai_key_name'), follower, text, {
    systemPrompt: env('system_prompt', DEFAULT_SYSTEM_PROMPT),
    restart,
  });
  if (restart) await store.del(restartKey(follower));
  const sent = await wechat.sendMessage(follower, choice);
  log.info(`answered ${follower} with ${sent.messageId}`);
}

/** A text message's text, or a voice message's recognised text; empty for anything else. */
function textOf(push: WechatPush): string {
  if (push.MsgType === 'text') return (push.Content ?? '').trim();
  if (push.MsgType === 'voice') return (push.Recognition ?? '').trim();
  return '';
}

function restartKey(follower: string): string {
  return `restart:${follower}`;
}
