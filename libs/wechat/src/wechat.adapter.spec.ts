import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ReplyWindow, loadConfig, type RoutedEvent } from '@openflows/common';
import { ConnectionsRepository, FlowsRepository, UsersRepository } from '@openflows/db';
import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { TEST_REDIS_URL, useTestRedis } from '@openflows/test-support/redis';
import { startWechatStandIn, type WechatStandIn } from '@openflows/test-support/wechat-stand-in';
import { asPush, parseXml, wechatEnvelope } from './messages';
import { PassiveReplies } from './passive-replies';
import { WechatAccessTokens } from './wechat-access-tokens.service';
import { WechatAccountsService } from './wechat-accounts.service';
import { WechatApi } from './wechat-api';
import { WechatIngress } from './wechat-ingress';
import { WechatAdapter } from './wechat.adapter';

const ACCOUNT = { appId: 'wx00000000000000f6', appSecret: 'secret-f6', token: 'T0kenF6', originalId: 'gh_0000000000f6' };
const FOLLOWER = 'oFollower_F6';

describe('WechatAdapter: routing and runs (postgres, real Redis, the WeChat stand-in)', () => {
  const test = useTestRedis('wechat-adapter');
  let database: TestDatabase;
  let wechat: WechatStandIn;
  let adapter: WechatAdapter;
  let owner: string;
  let other: string;
  const connections: Redis[] = [];
  const windows: ReplyWindow[] = [];

  /** A stored push from FOLLOWER, as the worker reads it. */
  const event = (xml: string, appId = ACCOUNT.appId): RoutedEvent => {
    const envelope = wechatEnvelope(appId, asPush(parseXml(xml)));
    return { id: randomBytes(8).toString('hex'), ...envelope, action: envelope.action ?? null };
  };
  const text = (content: string) =>
    `<xml><ToUserName><![CDATA[${ACCOUNT.originalId}]]></ToUserName><FromUserName><![CDATA[${FOLLOWER}]]></FromUserName>` +
    `<CreateTime>1714112445</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>7390000000000000042</MsgId></xml>`;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase('postgres');
    wechat = await startWechatStandIn();
    wechat.addAccount(ACCOUNT);
    wechat.follow(ACCOUNT.appId, FOLLOWER);
    const config = loadConfig({ MASTER_KEY: randomBytes(32).toString('base64'), WECHAT_API_URL: wechat.url, REDIS_PREFIX: test.prefix });
    const redis = new Redis(TEST_REDIS_URL);
    connections.push(redis);
    const rows = new ConnectionsRepository(database.handle.db);
    const api = new WechatApi(config);
    const tokens = new WechatAccessTokens(config, redis, api);
    const accounts = new WechatAccountsService(config, rows, api, tokens);
    const window = new ReplyWindow(redis, config);
    windows.push(window);
    const ingress = new WechatIngress(accounts, window, new PassiveReplies(config, redis));
    adapter = new WechatAdapter(accounts, tokens, api, window, rows, new FlowsRepository(database.handle.db), ingress);
    const users = new UsersRepository(database.handle.db);
    owner = (await users.upsert({ provider: 'github', externalId: '1', login: 'owner' })).id;
    other = (await users.upsert({ provider: 'github', externalId: '2', login: 'other' })).id;
    await accounts.connect(owner, { appId: ACCOUNT.appId, appSecret: ACCOUNT.appSecret, token: ACCOUNT.token });
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    for (const window of windows) await window.onApplicationShutdown();
    await Promise.all(connections.map((c) => c.quit()));
    await wechat.close();
    await database.drop();
  });

  it('routes a push to the connection’s owner under the follower and `*`, lower-case', async () => {
    expect(await adapter.route(event(text('hi')))).toEqual({
      owners: [owner],
      targets: [`${ACCOUNT.appId}/${FOLLOWER}`.toLowerCase(), `${ACCOUNT.appId}/*`],
      events: ['message'],
    });
    expect(await adapter.route(event(text('hi'), 'wx00000000000000aa'))).toEqual({ dropped: 'the Official Account is not connected' });
  });

  it('binds the chat context and calls that reach WeChat with the account’s token', async () => {
    const binding = await adapter.bindRun(owner, event(text('hi')));
    expect(binding.context).toEqual({
      account: ACCOUNT.appId,
      chatId: FOLLOWER,
      messageId: '7390000000000000042',
      sender: { id: FOLLOWER },
    });
    expect(binding.names).toEqual(['message']);
    // No ingress waits on this push: the message goes out as a customer-service message.
    expect(await binding.capabilities['wechat.sendMessage']([FOLLOWER, 'hello', {}])).toEqual({
      messageId: expect.stringMatching(/^custom:/),
    });
    expect(wechat.messages.at(-1)).toEqual({ appId: ACCOUNT.appId, touser: FOLLOWER, msgtype: 'text', content: 'hello' });
  });

  it('answers NOT_CONNECTED for another owner’s account, an account never connected, and other providers’ events', async () => {
    const bindings = [
      await adapter.bindRun(other, event(text('hi'))),
      await adapter.bindRun(owner, event(text('hi'), 'wx00000000000000aa')),
      adapter.unbound(),
    ];
    for (const binding of bindings) {
      await expect(binding.capabilities['wechat.sendMessage']([FOLLOWER, 'hello', {}])).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
      await expect(binding.capabilities['wechat.client'](['get', ['/cgi-bin/user/info', {}]])).rejects.toMatchObject({
        code: 'NOT_CONNECTED',
      });
    }
  });

  it('counts a subscription registered once an account it names is connected', async () => {
    const subscriptions = [
      { provider: 'wechat', target: `${ACCOUNT.appId}/*`, event: 'message' },
      { provider: 'wechat', target: 'wx00000000000000aa/*', event: 'message' },
    ];
    expect(await adapter.subscriptions.check(owner, subscriptions)).toEqual([true, false]);
    expect(await adapter.subscriptions.check(other, subscriptions)).toEqual([false, false]);
    expect(adapter.subscriptions.explain([subscriptions[1]], owner)).toContain('POST /api/connections/wechat');
  });
});
