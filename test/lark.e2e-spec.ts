/**
 * Feishu/Lark end to end through the real api and worker processes on PostgreSQL and Redis: an app
 * connected through `POST /api/connections/lark` against the Lark stand-in, callbacks encrypted and
 * signed as Lark sends them to the connection's request URL, and flows/lark-chat answering through the
 * OpenAI stand-in and the Open Platform stand-in.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE } from '@openflows/common';
import { startLarkStandIn, type LarkStandIn, type LarkStandInApp, type MessageFields } from '@openflows/test-support/lark-stand-in';
import { Platform, REDIS_URL } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const MASTER_KEY = randomBytes(32).toString('base64');
const APP: LarkStandInApp = {
  appId: 'cli_e2e0a1b2c3d4e5f6',
  appSecret: 'e2e-lark-app-secret',
  encryptKey: 'e2e-lark-encrypt-key',
  verificationToken: 'e2e-lark-verification-token',
  botName: 'Helper',
  botOpenId: 'ou_e2e_helper_bot',
  chats: ['oc_e2e_general', 'oc_e2e_team'],
};
const GENERAL = 'oc_e2e_general';
/** What the platform is reachable as from Lark; the callbacks are posted to the processes' own address. */
const PUBLIC_URL = 'https://openflows.example.com';

jest.setTimeout(60_000);

let platform: Platform;
let lark: LarkStandIn;
let events: Queue;
/** The connection's request URL as the processes are reached here (the path of the answered `webhookUrl`). */
let webhookUrl: string;

/** The bot's messages replying to `messageId`. */
const repliesTo = (messageId: string) => lark.sent.filter((m) => m.parent_id === messageId);

/** The user turns of the last chat completion the LLM stand-in received. */
const userTurns = () =>
  platform.llm.requests
    .at(-1)!
    .body.messages.filter((m) => m.role === 'user')
    .map((m) => m.content);

/** Jobs of the events queue in any state: what the ingress queued so far. */
async function queuedEvents(): Promise<number> {
  return Object.values(await events.getJobCounts()).reduce((sum, count) => sum + count, 0);
}

/** Waits until the worker has routed the event (its job on the events queue completed). */
async function routed(id: string): Promise<void> {
  await waitFor(`event ${id} to be routed`, async () => (await events.getJob(id))?.isCompleted());
}

/** A user's message as Lark delivers it to the connection's request URL; resolves with the bot's reply. */
async function converse(fields: Omit<MessageFields, 'chatId'> & { chatId?: string }) {
  const body = lark.messageEvent(APP.appId, { chatId: GENERAL, ...fields });
  const res = await lark.deliver(webhookUrl, APP.appId, body);
  expect(res).toMatchObject({ status: 200, body: { status: 'queued' } });
  const messageId = body.event.message.message_id as string;
  const [reply] = await waitFor(`a reply to "${fields.text}"`, () => repliesTo(messageId).length > 0 && repliesTo(messageId));
  return { reply, messageId, eventId: res.body.eventId as string, body };
}

beforeAll(async () => {
  lark = await startLarkStandIn();
  lark.addApp(APP);
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { MASTER_KEY, LARK_API_URL: lark.url, PUBLIC_URL } });
  events = new Queue(EVENTS_QUEUE, { connection: { url: REDIS_URL } as never, prefix: platform.prefix });
  await platform.putLlmKey('openai');
  // Deployed before the app is connected, by the bot's name: registered once it is.
  await platform.deploy(join(ROOT, 'flows/lark-chat'), { app: APP.botName, openai_key_name: 'openai' });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await events?.close();
  await platform?.stop();
  await lark?.close();
});

describe('connecting an app', () => {
  const body = {
    appId: APP.appId,
    appSecret: APP.appSecret,
    encryptKey: APP.encryptKey,
    verificationToken: APP.verificationToken,
    domain: 'feishu',
  };

  test('a wrong app secret is CREDENTIALS_INVALID and stores nothing', async () => {
    const res = await platform.request('POST', '/api/connections/lark', { ...body, appSecret: 'wrong' });
    expect(res).toMatchObject({ status: 400, body: { code: 'CREDENTIALS_INVALID' } });
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
    const flow = await waitFor('lark-chat to be built', async () => {
      const view = (await platform.request('GET', '/api/flows/lark-chat')).body;
      return view.status !== 'building' && view.status !== 'pending' && view;
    });
    expect(flow).toMatchObject({ status: 'unregistered', reason: expect.stringContaining('No Feishu/Lark app helper is connected') });
  });

  test('the app is connected with its bot and the request URL to paste; no secret is answered or logged', async () => {
    const res = await platform.request('POST', '/api/connections/lark', body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      provider: 'lark',
      kind: 'app',
      externalId: APP.appId,
      account: 'Helper',
      botUserId: APP.botOpenId,
      status: 'active',
    });
    expect(res.body.webhookUrl).toBe(`${PUBLIC_URL}/webhooks/lark/${res.body.id}`);
    webhookUrl = `${platform.url}${new URL(res.body.webhookUrl).pathname}`;
    const listed = await platform.request('GET', '/api/connections');
    const tenantTokens = lark.calls.map((c) => c.token).filter((t): t is string => Boolean(t));
    for (const text of [JSON.stringify(res.body), JSON.stringify(listed.body), platform.output()]) {
      for (const secret of [APP.appSecret, APP.encryptKey, APP.verificationToken, ...tenantTokens]) expect(text).not.toContain(secret);
    }
    expect((await platform.request('GET', '/api/flows/lark-chat')).body).toMatchObject({ status: 'running' });
  });
});

describe('callbacks', () => {
  test('the encrypted url_verification is answered with its challenge', async () => {
    const challenge = lark.challenge(APP.appId);
    expect(await lark.deliver(webhookUrl, APP.appId, challenge)).toEqual({ status: 200, body: { challenge: challenge.challenge } });
  });

  test('a message gets the model answer as a reply in its chat, through the tenant token', async () => {
    const { reply, eventId } = await converse({ text: '@_user_1 What is a monorepo?' });
    expect(reply).toMatchObject({ chat_id: GENERAL, text: 'echo: What is a monorepo?', sender: { sender_type: 'app' } });
    expect(reply.thread_id).toBeUndefined();
    const call = lark.calls.findLast((c) => c.path.endsWith('/reply'))!;
    expect(call.token).toMatch(/^t-/);
    const run = await waitFor('the run', async () =>
      (await platform.runs('lark-chat')).find((r) => r.eventId === eventId && r.status === 'succeeded'),
    );
    expect(run).toBeDefined();
  });

  test('a thread is its own conversation with its history, answered in the thread; /restart starts it over', async () => {
    const first = await converse({ text: 'first in thread', threadId: 'omt_e2e_thread' });
    expect(first.reply).toMatchObject({ chat_id: GENERAL, thread_id: 'omt_e2e_thread', text: 'echo: first in thread' });
    expect(userTurns()).toEqual(['first in thread']);
    const second = await converse({ text: 'second in thread', threadId: 'omt_e2e_thread' });
    expect(second.reply).toMatchObject({ thread_id: 'omt_e2e_thread' });
    expect(lark.calls.findLast((c) => c.path.endsWith('/reply'))!.body).toMatchObject({ reply_in_thread: true });
    expect(userTurns()).toEqual(['first in thread', 'second in thread']);
    // The chat's own conversation does not see the thread's.
    await converse({ text: 'back in the chat' });
    expect(userTurns()).toEqual(['What is a monorepo?', 'back in the chat']);
    const restart = await converse({ text: '/restart', threadId: 'omt_e2e_thread' });
    expect(restart.reply.text).toBe('Ok, I am starting a new conversation.');
    await converse({ text: 'fresh start', threadId: 'omt_e2e_thread' });
    expect(userTurns()).toEqual(['fresh start']);
  });

  test.each([
    [
      'a forged signature',
      () =>
        lark.deliver(webhookUrl, APP.appId, lark.messageEvent(APP.appId, { chatId: GENERAL, text: 'forged' }), {
          signingKey: 'not-the-key',
        }),
    ],
    [
      'a forged verification token',
      () => lark.deliver(webhookUrl, APP.appId, lark.messageEvent(APP.appId, { chatId: GENERAL, text: 'forged', token: 'not-the-token' })),
    ],
    [
      'a plain body with a forged verification token',
      () =>
        lark.deliver(webhookUrl, APP.appId, lark.messageEvent(APP.appId, { chatId: GENERAL, text: 'forged', token: 'not-the-token' }), {
          encrypt: false,
          sign: false,
        }),
    ],
  ])('%s is refused with 401 and nothing is queued', async (_what, send) => {
    const before = await queuedEvents();
    const res = await send();
    expect(res).toMatchObject({ status: 401, body: { code: 'SIGNATURE_INVALID' } });
    expect(await queuedEvents()).toBe(before);
  });

  test('the same event delivered twice is answered once', async () => {
    const body = lark.messageEvent(APP.appId, { chatId: GENERAL, text: 'answer me once' });
    const first = await lark.deliver(webhookUrl, APP.appId, body);
    const retry = await lark.deliver(webhookUrl, APP.appId, body);
    expect(first).toMatchObject({ status: 200, body: { status: 'queued' } });
    expect(retry).toEqual({ status: 200, body: { status: 'duplicate', eventId: first.body.eventId } });
    const messageId = body.event.message.message_id as string;
    await waitFor('the answer', () => repliesTo(messageId).length > 0);
    await routed(first.body.eventId);
    expect(repliesTo(messageId)).toHaveLength(1);
  });

  test("the bot's own message reaches no flow", async () => {
    const own = lark.messageEvent(APP.appId, { chatId: GENERAL, text: 'echo: something', senderOpenId: APP.botOpenId, senderType: 'app' });
    const res = await lark.deliver(webhookUrl, APP.appId, own);
    expect(res).toMatchObject({ status: 200, body: { status: 'queued' } });
    await routed(res.body.eventId);
    expect((await platform.runs('lark-chat')).filter((r) => r.eventId === res.body.eventId)).toEqual([]);
    expect(repliesTo(own.event.message.message_id as string)).toEqual([]);
  });
});

describe('disconnecting', () => {
  test('the request URL stops taking callbacks', async () => {
    const [connection] = (await platform.request('GET', '/api/connections')).body;
    expect((await platform.request('DELETE', `/api/connections/${connection.id}`)).status).toBe(204);
    const before = await queuedEvents();
    const res = await lark.deliver(webhookUrl, APP.appId, lark.messageEvent(APP.appId, { chatId: GENERAL, text: 'still there?' }));
    expect(res).toMatchObject({ status: 404, body: { code: 'CONNECTION_NOT_FOUND' } });
    expect(await queuedEvents()).toBe(before);
  });
});
