/**
 * Telegram end to end through the real api and worker processes on PostgreSQL and Redis: a bot
 * connected through the API against the Bot API stand-in (getMe, setWebhook), updates posted to the
 * webhook the platform registered with its secret token, flows/telegram-chat answering through the
 * OpenAI stand-in and writing through the stand-in (sendMessage, then editMessageText), and
 * disconnecting (deleteWebhook).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE } from '@openflows/common';
import { Platform, REDIS_URL } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import type { SentMessage, TelegramStandIn } from '@openflows/test-support/telegram-stand-in';
import { FORUM_CHAT, SAMPLE_USER_ID, exampleUpdate, textUpdate } from '@openflows/test-support/telegram-updates';

const ROOT = join(__dirname, '..');
const BOT_ID = 7000001;
const BOT = 'openflows_test_bot';
const MASTER_KEY = randomBytes(32).toString('base64');
const PLACEHOLDER = 'Typing ...';
const RESTARTED = 'Ok, I am starting a new conversation.';

jest.setTimeout(60_000);

let telegram: TelegramStandIn;
let platform: Platform;
let events: Queue;
let token: string;
let connectionId: string;

const messagesIn = (chatId: number, threadId?: number) => telegram.messages.filter((m) => m.chatId === chatId && m.threadId === threadId);

/** The user turns of the last request the OpenAI stand-in received: the conversation's history as the model saw it. */
const userTurns = () =>
  platform.llm.requests
    .at(-1)!
    .body.messages.filter((m) => m.role === 'user')
    .map((m) => m.content);

/** Every job the events queue holds, whatever its state: it grows by one per queued event. */
async function queuedEvents(): Promise<number> {
  return Object.values(await events.getJobCounts()).reduce((sum, count) => sum + count, 0);
}

/** Waits until the worker has routed the event (its job on the events queue completed). */
async function routed(id: string): Promise<void> {
  await waitFor(`event ${id} to be routed`, async () => (await events.getJob(id))?.isCompleted());
}

/** Waits for the flow's finished run of an event. */
async function runOf(eventId: string) {
  return waitFor(`a finished run of ${eventId}`, async () => {
    const run = (await platform.runs('telegram-chat')).find((r) => r.eventId === eventId);
    return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
  });
}

/** Delivers an update as Telegram does and waits for the bot's finished answer in that chat and topic. */
async function converse(update: Record<string, any>): Promise<{ answer: SentMessage; eventId: string }> {
  const { chat, message_thread_id: topic } = update.message;
  // Counted before delivering: a fast answer must not be taken for the state before it.
  const before = messagesIn(chat.id, topic).length;
  const res = await telegram.deliver(update);
  expect(res).toMatchObject({ status: 200, body: { status: 'queued' } });
  const answer = await waitFor(`an answer to "${update.message.text}"`, () => {
    const next = messagesIn(chat.id, topic)[before];
    return next && next.text !== PLACEHOLDER ? next : undefined;
  });
  expect((await runOf(res.body.eventId)).status).toBe('succeeded');
  return { answer, eventId: res.body.eventId };
}

const flow = async () => (await platform.request('GET', '/api/flows/telegram-chat')).body;

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { MASTER_KEY } });
  telegram = platform.telegram;
  token = telegram.addBot({ id: BOT_ID, username: BOT, firstName: 'OpenFlows' });
  events = new Queue(EVENTS_QUEUE, { connection: { url: REDIS_URL } as never, prefix: platform.prefix });
  await platform.putLlmKey('openai');
  // Deployed before the bot is connected, by its username.
  await platform.deploy(join(ROOT, 'flows/telegram-chat'), { bot: BOT, openai_key_name: 'openai' });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await events?.close();
  await platform?.stop();
});

describe('connecting a bot (POST /api/connections/telegram)', () => {
  test('a flow deployed before its bot is connected is unregistered, saying how to connect it', async () => {
    expect(await flow()).toMatchObject({ status: 'unregistered', reason: expect.stringContaining(`No Telegram bot ${BOT} is connected`) });
  });

  test('GET /api/providers has the Telegram card: a bot token field, no browser round trip', async () => {
    const card = (await platform.request('GET', '/api/providers')).body.find((p: { id: string }) => p.id === 'telegram');
    expect(card).toMatchObject({
      title: 'Telegram',
      fields: [{ name: 'botToken', secret: true }],
      source: 'telegram.chat(bot, chatId)',
      docs: 'telegram',
    });
    expect(card.authorize).toBeUndefined();
  });

  test.each([
    ['no token', 400, 'CONNECT_INVALID', {}],
    ['a token of the wrong shape', 400, 'CONNECT_INVALID', { botToken: 'hello' }],
    ['a token Telegram refuses', 400, 'CREDENTIALS_INVALID', { botToken: `${BOT_ID}:${'A'.repeat(35)}` }],
  ])('%s is refused (%i %s) and nothing is stored', async (_what, status, code, body) => {
    const res = await platform.request('POST', '/api/connections/telegram', body);
    expect(res).toMatchObject({ status, body: { code } });
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
    expect(telegram.webhook(BOT_ID)).toBeUndefined();
  });

  test('the bot token connects the bot, and the platform registers its webhook with a secret token', async () => {
    const res = await platform.request('POST', '/api/connections/telegram', { botToken: token });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      provider: 'telegram',
      kind: 'bot',
      externalId: String(BOT_ID),
      account: BOT,
      botUserId: String(BOT_ID),
      status: 'active',
    });
    expect(res.body.webhookUrl).toBeUndefined();
    connectionId = res.body.id;
    // PUBLIC_URL is left at its default, http://localhost:<PORT>.
    const publicUrl = platform.url.replace('127.0.0.1', 'localhost');
    expect(telegram.webhook(BOT_ID)).toEqual({
      url: `${publicUrl}/webhooks/telegram/${connectionId}`,
      secretToken: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
      allowedUpdates: ['message', 'edited_message', 'callback_query'],
    });
    expect(telegram.calls.filter((c) => c.method === 'setWebhook').at(-1)!.token).toBe(token);
    expect(await flow()).toMatchObject({ status: 'running' });
    const listed = await platform.request('GET', '/api/connections');
    for (const text of [JSON.stringify(res.body), JSON.stringify(listed.body), platform.output()]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(telegram.webhook(BOT_ID)!.secretToken);
    }
  });
});

describe('updates', () => {
  test("the published /start sample gets the greeting in the user's private chat", async () => {
    const { answer } = await converse(exampleUpdate('message-text'));
    expect(answer).toMatchObject({ chatId: SAMPLE_USER_ID, text: expect.stringContaining('/restart') });
    expect(answer.replyTo).toBeUndefined();
  });

  test('a private chat is one conversation: the model sees its history, and the answer replaces the placeholder', async () => {
    const first = await converse(textUpdate('What is Telegram?'));
    expect(first.answer).toMatchObject({ chatId: SAMPLE_USER_ID, text: 'echo: What is Telegram?', edits: ['echo: What is Telegram?'] });
    expect(platform.llm.requests.at(-1)!.body.messages[0]).toEqual({
      role: 'system',
      content: 'You are a helpful assistant answering questions on Telegram.',
    });
    await converse(textUpdate('And what are bots?'));
    expect(userTurns()).toEqual(['What is Telegram?', 'And what are bots?']);
    const edit = telegram.calls.filter((c) => c.method === 'editMessageText').at(-1)!;
    expect(edit).toMatchObject({ token, params: { chat_id: String(SAMPLE_USER_ID), text: 'echo: And what are bots?' } });
  });

  test('a forum topic is its own conversation, answered in that topic as a reply', async () => {
    const question = textUpdate('Hello from topic 42', { chat: FORUM_CHAT, topic: 42 });
    const { answer } = await converse(question);
    expect(answer).toMatchObject({
      chatId: FORUM_CHAT.id,
      threadId: 42,
      replyTo: question.message.message_id,
      text: 'echo: Hello from topic 42',
    });
    expect(userTurns()).toEqual(['Hello from topic 42']);
    await converse(textUpdate('Hello from topic 43', { chat: FORUM_CHAT, topic: 43 }));
    expect(userTurns()).toEqual(['Hello from topic 43']);
    const followUp = await converse(textUpdate('Still topic 42', { chat: FORUM_CHAT, topic: 42 }));
    expect(followUp.answer).toMatchObject({ threadId: 42, text: 'echo: Still topic 42' });
    expect(userTurns()).toEqual(['Hello from topic 42', 'Still topic 42']);
  });

  test('/restart (also as /restart@bot) starts the conversation of its topic over', async () => {
    const { answer } = await converse(textUpdate(`/restart@${BOT}`, { chat: FORUM_CHAT, topic: 42 }));
    expect(answer).toMatchObject({ threadId: 42, text: RESTARTED });
    await converse(textUpdate('A fresh start', { chat: FORUM_CHAT, topic: 42 }));
    expect(userTurns()).toEqual(['A fresh start']);
    await converse(textUpdate('Back in topic 43', { chat: FORUM_CHAT, topic: 43 }));
    expect(userTurns()).toEqual(['Hello from topic 43', 'Back in topic 43']);
  });

  test('the same update delivered twice is answered once', async () => {
    const update = textUpdate('Answer me once');
    const before = messagesIn(SAMPLE_USER_ID).length;
    const first = await telegram.deliver(update);
    const again = await telegram.deliver(update);
    expect(first).toMatchObject({ status: 200, body: { status: 'queued' } });
    expect(again).toEqual({ status: 200, body: { status: 'duplicate', eventId: first.body.eventId } });
    await runOf(first.body.eventId);
    expect(
      messagesIn(SAMPLE_USER_ID)
        .slice(before)
        .map((m) => m.text),
    ).toEqual(['echo: Answer me once']);
  });

  test("the bot's own messages and other bots' messages reach no flow", async () => {
    const ids: string[] = [];
    for (const from of [
      { id: BOT_ID, is_bot: true, first_name: 'OpenFlows', username: BOT },
      { id: 7000002, is_bot: true, first_name: 'Other', username: 'other_bot' },
    ]) {
      const res = await telegram.deliver(textUpdate('a bot speaking', { chat: FORUM_CHAT, topic: 42, from }));
      expect(res).toMatchObject({ status: 200, body: { status: 'queued' } });
      ids.push(res.body.eventId);
    }
    const before = telegram.messages.length;
    for (const id of ids) await routed(id);
    expect((await platform.runs('telegram-chat')).filter((r) => ids.includes(r.eventId))).toEqual([]);
    expect(telegram.messages).toHaveLength(before);
  });

  test.each([
    ['a wrong secret token', 'not-the-secret'],
    ['no secret token', null],
  ])('an update with %s is refused with 401 and nothing is queued', async (_what, secret) => {
    const jobs = await queuedEvents();
    const res = await telegram.deliver(textUpdate('forged'), { secret });
    expect(res).toMatchObject({ status: 401, body: { code: 'SIGNATURE_INVALID' } });
    expect(await queuedEvents()).toBe(jobs);
  });

  test('an update kind flows do not get (the published inline query) is acknowledged and not queued', async () => {
    const jobs = await queuedEvents();
    const res = await telegram.deliver({ ...exampleUpdate('inline-query'), update_id: 990_001 });
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(await queuedEvents()).toBe(jobs);
  });
});

describe('disconnecting', () => {
  test('deleting the connection removes the webhook at Telegram; the old URL takes nothing more', async () => {
    const { url, secretToken } = telegram.webhook(BOT_ID)!;
    expect((await platform.request('DELETE', `/api/connections/${connectionId}`)).status).toBe(204);
    expect(telegram.webhook(BOT_ID)).toBeUndefined();
    expect(telegram.calls.at(-1)).toMatchObject({ method: 'deleteWebhook', token });
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
    expect(await flow()).toMatchObject({ status: 'unregistered' });
    const jobs = await queuedEvents();
    const late = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken! },
      body: JSON.stringify(textUpdate('anyone there?')),
    });
    expect(late.status).toBe(401);
    expect(await queuedEvents()).toBe(jobs);
  });
});
