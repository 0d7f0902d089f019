/**
 * WeChat Official Accounts end to end through the real api and worker processes on PostgreSQL and
 * Redis: connecting with AppID and AppSecret against the WeChat stand-in, the console's URL check,
 * pushes signed (and in safe mode sealed) as WeChat makes them, and flows/wechat-chat answering through
 * the OpenAI stand-in — passively within WeChat's 5 s, or with a customer-service message when the
 * model is slower.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE } from '@openflows/common';
import { Platform, REDIS_URL } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { WECHAT_WAIT_MS, type StandInAccount, type WechatStandIn } from '@openflows/test-support/wechat-stand-in';

const ROOT = join(__dirname, '..');
const MASTER_KEY = randomBytes(32).toString('base64');
const ACCOUNT: StandInAccount = {
  appId: 'wx5f3c1e0a9b7d2c41',
  appSecret: randomBytes(16).toString('hex'),
  token: 'OpenFlowsE2e2026',
  encodingAesKey: 'kW3xR9tLq0ZbN4vC7yH2mF5jD8sA1gE6uP0oI3nT9rV',
  originalId: 'gh_3a9f1c2b7e64',
};
/** Followers' OpenIDs (28 characters, as WeChat's). */
const ALICE = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';
const BOB = 'o6_bmasdasdsad6_2sgVt7hMZOPfL';
const CAROL = 'o6_bmjrPTlm6_2sgVt7hMZOPcar0';
const WELCOME = 'Thanks for following! Send me a question, by text or by voice. Send /restart to start a new conversation.';

jest.setTimeout(90_000);

let platform: Platform;
let wechat: WechatStandIn;
let events: Queue;
let connectionId: string;

const userMessagesSent = () =>
  platform.llm.requests
    .at(-1)!
    .body.messages.filter((m) => m.role === 'user')
    .map((m) => m.content);

const messagesTo = (openId: string) => wechat.messages.filter((m) => m.touser === openId);

/** Waits until every run of wechat-chat has finished, `count` of them in all. */
async function runsFinished(count: number) {
  return waitFor(`${count} finished runs of wechat-chat`, async () => {
    const runs = await platform.runs('wechat-chat');
    return runs.length === count && runs.every((r) => r.status === 'succeeded' || r.status === 'failed') ? runs : undefined;
  });
}

const eventJobs = () => events.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed');

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { MASTER_KEY } });
  wechat = platform.wechat;
  wechat.addAccount(ACCOUNT);
  events = new Queue(EVENTS_QUEUE, { connection: { url: REDIS_URL } as never, prefix: platform.prefix });
  await platform.putLlmKey('openai');
  // Deployed before the account is connected: unregistered until it is.
  const flow = await platform.deploy(join(ROOT, 'flows/wechat-chat'), { account: ACCOUNT.appId, openai_key_name: 'openai' });
  expect(flow.status).toBe('unregistered');
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await events?.close();
  await platform?.stop();
});

describe('connecting an Official Account', () => {
  const body = { appId: ACCOUNT.appId, appSecret: ACCOUNT.appSecret, token: ACCOUNT.token, encodingAesKey: ACCOUNT.encodingAesKey };

  test('a wrong AppSecret is CREDENTIALS_INVALID with WeChat’s errcode; a body without a Token is CONNECT_INVALID', async () => {
    const wrong = await platform.request('POST', '/api/connections/wechat', { ...body, appSecret: 'not-the-secret' });
    expect(wrong).toMatchObject({ status: 400, body: { code: 'CREDENTIALS_INVALID', details: { errcode: 40125 } } });
    const incomplete = await platform.request('POST', '/api/connections/wechat', { appId: ACCOUNT.appId, appSecret: ACCOUNT.appSecret });
    expect(incomplete).toMatchObject({ status: 400, body: { code: 'CONNECT_INVALID' } });
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
  });

  test('connecting answers the server URL; the console saves it after its GET check; the flow is running', async () => {
    const res = await platform.request('POST', '/api/connections/wechat', body);
    expect(res.status).toBe(201);
    connectionId = res.body.id;
    expect(res.body).toMatchObject({
      provider: 'wechat',
      kind: 'account',
      externalId: ACCOUNT.appId,
      account: ACCOUNT.appId,
      status: 'active',
    });
    const port = new URL(platform.url).port;
    expect(res.body.webhookUrl).toBe(`http://localhost:${port}/webhooks/wechat/${connectionId}`);
    // The default PUBLIC_URL names localhost; the stand-in reaches the api on its loopback address.
    const serverUrl = `${platform.url}${new URL(res.body.webhookUrl as string).pathname}`;

    expect(await wechat.configureServer(ACCOUNT.appId, serverUrl, { token: 'WrongToken' })).toMatchObject({ status: 401, saved: false });
    expect(await wechat.configureServer(ACCOUNT.appId, serverUrl)).toMatchObject({ status: 200, saved: true });
    expect((await platform.request('GET', '/api/flows/wechat-chat')).body.status).toBe('running');

    const listed = await platform.request('GET', '/api/connections');
    expect(listed.body).toEqual([expect.objectContaining({ id: connectionId, details: [`server URL ${res.body.webhookUrl}`] })]);
    for (const text of [JSON.stringify(res.body), JSON.stringify(listed.body), platform.output()]) {
      for (const secret of [ACCOUNT.appSecret, ACCOUNT.token, ACCOUNT.encodingAesKey!]) expect(text).not.toContain(secret);
    }
  });

  test('an unknown server URL is 404', async () => {
    const res = await fetch(
      `${platform.url}/webhooks/wechat/00000000-0000-4000-8000-000000000000?signature=x&timestamp=1&nonce=2&echostr=3`,
    );
    expect(res.status).toBe(404);
  });
});

describe('messages', () => {
  test('a text message is answered passively, in the HTTP answer within 5 s', async () => {
    const sent = wechat.messages.length;
    const answer = await wechat.deliver(wechat.text(ACCOUNT.appId, ALICE, 'What is OpenFlows?'));
    expect(answer).toMatchObject({ status: 200, tries: 1, reply: { Content: 'echo: What is OpenFlows?', MsgType: 'text' } });
    expect(answer.contentType).toMatch(/^application\/xml/);
    expect(answer.elapsedMs).toBeLessThan(WECHAT_WAIT_MS);
    expect(wechat.messages).toHaveLength(sent);
    const [run] = await runsFinished(1);
    expect(run.status).toBe('succeeded');
    const detail = await platform.request('GET', `/api/runs/${run.id}`);
    expect(detail.body.logs.map((l: { message: string }) => l.message)).toContainEqual(
      expect.stringMatching(/with passive:7390000000000000001$/),
    );
  });

  test('in safe mode the push is sealed and the passive reply is encrypted and signed, with the conversation’s history', async () => {
    const answer = await wechat.deliver(wechat.text(ACCOUNT.appId, ALICE, 'And in safe mode?'), { safe: true });
    expect(answer).toMatchObject({ status: 200, tries: 1, reply: { Content: 'echo: And in safe mode?' } });
    expect(answer.body).toContain('<Encrypt>');
    expect(answer.body).not.toContain('safe mode');
    expect(userMessagesSent()).toEqual(['What is OpenFlows?', 'And in safe mode?']);
    await runsFinished(2);
  });

  test('a voice message is answered from its recognition', async () => {
    const answer = await wechat.deliver(wechat.voice(ACCOUNT.appId, BOB, '今天天气怎么样'), { safe: true });
    expect(answer.reply?.Content).toBe('echo: 今天天气怎么样');
    expect(userMessagesSent()).toEqual(['今天天气怎么样']);
    await runsFinished(3);
  });

  test('a slow answer: `success` at once, then a customer-service message, with the conversation’s history', async () => {
    const grants = wechat.grants.get(ACCOUNT.appId);
    platform.llm.delay(6000);
    try {
      const answer = await wechat.deliver(wechat.text(ACCOUNT.appId, ALICE, 'A hard question'));
      expect(answer).toMatchObject({ status: 200, tries: 1, body: 'success' });
      expect(answer.reply).toBeUndefined();
      expect(answer.elapsedMs).toBeLessThan(WECHAT_WAIT_MS);
      const [message] = await waitFor('the customer-service message', () => messagesTo(ALICE).length > 0 && messagesTo(ALICE));
      expect(message).toEqual({ appId: ACCOUNT.appId, touser: ALICE, msgtype: 'text', content: 'echo: A hard question' });
    } finally {
      platform.llm.delay(0);
    }
    expect(userMessagesSent()).toEqual(['What is OpenFlows?', 'And in safe mode?', 'A hard question']);
    // The token granted when the account was connected served the send: no other grant.
    expect(wechat.grants.get(ACCOUNT.appId)).toBe(grants);
    const send = wechat.calls.filter((c) => c.path === '/cgi-bin/message/custom/send').at(-1)!;
    expect(send.errcode).toBe(0);
    await runsFinished(4);
  });

  test('/restart starts the conversation over; a new follower is welcomed', async () => {
    expect((await wechat.deliver(wechat.text(ACCOUNT.appId, ALICE, '/restart'))).reply?.Content).toBe(
      'Ok, I am starting a new conversation.',
    );
    expect((await wechat.deliver(wechat.text(ACCOUNT.appId, ALICE, 'fresh start'))).reply?.Content).toBe('echo: fresh start');
    expect(userMessagesSent()).toEqual(['fresh start']);
    expect((await wechat.deliver(wechat.subscribe(ACCOUNT.appId, CAROL), { safe: true })).reply?.Content).toBe(WELCOME);
    await runsFinished(7);
  });

  test('a forged signature or an altered safe-mode body is refused with 401 and nothing is queued', async () => {
    const before = await eventJobs();
    const llmCalls = platform.llm.requests.length;
    const forged = await wechat.deliver(wechat.text(ACCOUNT.appId, ALICE, 'forged'), { token: 'NotTheToken' });
    expect(forged).toMatchObject({ status: 401, tries: 1 });
    expect(JSON.parse(forged.body)).toMatchObject({ code: 'SIGNATURE_INVALID' });
    // Plaintext signatures do not cover the body; safe mode's msg_signature covers the sealed message.
    const altered = await wechat.deliver(wechat.text(ACCOUNT.appId, ALICE, 'altered'), {
      safe: true,
      alter: (xml) => xml.replace(/<Encrypt><!\[CDATA\[(.)/, (_all, first: string) => `<Encrypt><![CDATA[${first === 'A' ? 'B' : 'A'}`),
    });
    expect(altered).toMatchObject({ status: 401, tries: 1 });
    expect(await eventJobs()).toBe(before);
    expect(platform.llm.requests).toHaveLength(llmCalls);
    expect((await platform.runs('wechat-chat')).length).toBe(7);
  });

  test('the same MsgId twice, at once and later, runs once and gets one answer', async () => {
    const push = wechat.text(ACCOUNT.appId, BOB, 'answer me once', '7390000000000099999');
    const llmCalls = platform.llm.requests.length;
    const sent = wechat.messages.length;
    const [first, second] = await Promise.all([wechat.deliver(push), wechat.deliver(push)]);
    for (const answer of [first, second])
      expect(answer).toMatchObject({ status: 200, tries: 1, reply: { Content: 'echo: answer me once' } });
    // WeChat tries again when an answer is lost: the retry gets the same reply, nothing runs again.
    const retry = await wechat.deliver(push);
    expect(retry.reply?.Content).toBe('echo: answer me once');
    await runsFinished(8);
    expect(platform.llm.requests).toHaveLength(llmCalls + 1);
    expect(wechat.messages).toHaveLength(sent);
  });
});
