import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ReplyWindow, type AppConfig } from '@openflows/common';
import { TEST_REDIS_URL, useTestRedis } from '@openflows/test-support/redis';
import { startWechatStandIn, type WechatStandIn } from '@openflows/test-support/wechat-stand-in';
import { WechatAccessTokens } from './wechat-access-tokens.service';
import { WechatApi } from './wechat-api';
import { wechatCapabilities } from './wechat-capabilities';

const APP = { appId: 'wx00000000000000d4', appSecret: 'secret-d4' };
const FOLLOWER = 'oFollowerD4';

describe('wechat.sendMessage and wechat.client (real Redis reply windows, the WeChat stand-in)', () => {
  const test = useTestRedis('wechat-capabilities');
  let wechat: WechatStandIn;
  let config: AppConfig;
  let api: WechatApi;
  let tokens: WechatAccessTokens;
  let ingressSide: ReplyWindow;
  let runSide: ReplyWindow;
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(TEST_REDIS_URL);
    connections.push(redis);
    return redis;
  };

  /** The capabilities of one run of the push `pushKey`, whose reply window is `window`. */
  const run = (window: string, pushKey = '7390000000000000123') =>
    wechatCapabilities({
      openId: FOLLOWER,
      pushKey,
      call: (method, path, query, body) => tokens.withToken(APP, (token) => api.call(method, path, token, query, body)),
      deliverPassive: (input) => runSide.deliver(window, input),
    });

  beforeAll(async () => {
    wechat = await startWechatStandIn();
    wechat.addAccount({ ...APP, token: 't0ken', originalId: 'gh_0000000000d4' });
    // The follower wrote to the account: customer-service messages may go to them.
    wechat.follow(APP.appId, FOLLOWER);
    config = {
      redis: { url: TEST_REDIS_URL, prefix: test.prefix },
      wechat: { apiUrl: wechat.url },
      masterKey: randomBytes(32).toString('base64'),
    } as AppConfig;
    api = new WechatApi(config);
    tokens = new WechatAccessTokens(config, connect(), api);
    ingressSide = new ReplyWindow(connect(), config);
    runSide = new ReplyWindow(connect(), config);
  });

  afterAll(async () => {
    await ingressSide.onApplicationShutdown();
    await runSide.onApplicationShutdown();
    await Promise.all(connections.map((c) => c.quit()));
    await wechat.close();
  });

  it('makes the first message to the sender the passive reply while the ingress waits, and the next ones customer-service messages', async () => {
    const pending = await ingressSide.open('wechat:push-1', 5000);
    const capabilities = run('wechat:push-1');
    const first = await capabilities['wechat.sendMessage']([FOLLOWER, 'first', {}]);
    expect(first).toEqual({ messageId: 'passive:7390000000000000123' });
    expect(await pending.wait(1000)).toEqual({ content: 'first' });
    const second = (await capabilities['wechat.sendMessage']([FOLLOWER, 'second', {}])) as { messageId: string };
    expect(second.messageId).toMatch(/^custom:[0-9a-f-]{36}$/);
    expect(wechat.messages.at(-1)).toEqual({ appId: APP.appId, touser: FOLLOWER, msgtype: 'text', content: 'second' });
    expect(wechat.calls.at(-1)!.query.access_token).toMatch(/^ACCESS_TOKEN-/);
  });

  it('sends a customer-service message once the ingress stopped waiting', async () => {
    const pending = await ingressSide.open('wechat:push-2', 5000);
    expect(await pending.wait(10)).toBeUndefined();
    const sent = (await run('wechat:push-2')['wechat.sendMessage']([FOLLOWER, 'late', {}])) as { messageId: string };
    expect(sent.messageId).toMatch(/^custom:/);
    expect(wechat.messages.at(-1)).toMatchObject({ touser: FOLLOWER, content: 'late' });
  });

  it('never answers another follower passively; WeChat’s refusal is REQUEST_FAILED with its errcode', async () => {
    const pending = await ingressSide.open('wechat:push-3', 5000);
    const send = run('wechat:push-3')['wechat.sendMessage'];
    const error = await send(['oStranger', 'hello', {}]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REQUEST_FAILED', status: 200, data: { errcode: 40003 } });
    expect(await pending.wait(10)).toBeUndefined();
  });

  it('refuses empty text and a chat id that is no string', async () => {
    const capabilities = run('wechat:push-4');
    await expect(capabilities['wechat.sendMessage']([FOLLOWER, '', {}])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(capabilities['wechat.sendMessage']([42, 'hi', {}])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('client.get and client.post call /cgi-bin/ paths with the access token added', async () => {
    const capabilities = run('wechat:push-5');
    expect(await capabilities['wechat.client'](['get', ['/cgi-bin/user/info', { openid: FOLLOWER, lang: 'zh_CN' }]])).toMatchObject({
      subscribe: 1,
      openid: FOLLOWER,
    });
    expect(wechat.calls.at(-1)!.query).toMatchObject({
      openid: FOLLOWER,
      lang: 'zh_CN',
      access_token: expect.stringMatching(/^ACCESS_TOKEN-/),
    });
    const body = { touser: FOLLOWER, msgtype: 'text', text: { content: 'by path' } };
    expect(await capabilities['wechat.client'](['post', ['/cgi-bin/message/custom/send', body]])).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(wechat.messages.at(-1)).toMatchObject({ content: 'by path' });
  });

  it('client refuses paths outside /cgi-bin/, other methods and its own access_token', async () => {
    const client = run('wechat:push-6')['wechat.client'];
    for (const path of ['/sns/userinfo', 'https://evil.example/cgi-bin/x', '/cgi-bin/../admin', '/cgi-bin/user/info?x=1']) {
      await expect(client(['get', [path, {}]])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(client(['delete', ['/cgi-bin/user/info']])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client(['get', ['/cgi-bin/user/info', { access_token: 'mine' }]])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
