import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AppConfig } from '@openflows/common';
import { TEST_REDIS_URL, useTestRedis } from '@openflows/test-support/redis';
import { startWechatStandIn, type WechatStandIn } from '@openflows/test-support/wechat-stand-in';
import { WechatAccessTokens } from './wechat-access-tokens.service';
import { WechatApi, WechatApiError } from './wechat-api';

const APP = { appId: 'wx00000000000000a1', appSecret: 'app-secret-a1' };

describe('WechatAccessTokens (real Redis, the WeChat stand-in)', () => {
  const test = useTestRedis('wechat-tokens');
  let wechat: WechatStandIn;
  let config: AppConfig;
  const connections: Redis[] = [];
  /** A process of the platform: its own Redis connection, its own service. */
  const process = () => {
    const redis = new Redis(TEST_REDIS_URL);
    connections.push(redis);
    return new WechatAccessTokens(config, redis, new WechatApi(config));
  };

  beforeAll(async () => {
    wechat = await startWechatStandIn();
    wechat.addAccount({ ...APP, token: 't0ken', originalId: 'gh_0000000000a1' });
    config = {
      redis: { url: TEST_REDIS_URL, prefix: test.prefix },
      wechat: { apiUrl: wechat.url },
      masterKey: randomBytes(32).toString('base64'),
    } as AppConfig;
  });

  afterAll(async () => {
    await Promise.all(connections.map((c) => c.quit()));
    await wechat.close();
  });

  const userInfo = (tokens: WechatAccessTokens) =>
    tokens.withToken(APP, (token) => new WechatApi(config).call('GET', '/cgi-bin/user/info', token, { openid: 'oNobody' }).catch((e) => e));

  it('grants one token for many calls across processes, sealed in Redis', async () => {
    const before = wechat.grants.get(APP.appId) ?? 0;
    const [a, b] = [process(), process()];
    const tokens = await Promise.all([a.token(APP), b.token(APP), a.token(APP), b.token(APP)]);
    expect(new Set(tokens).size).toBe(1);
    expect(wechat.grants.get(APP.appId)).toBe(before + 1);
    const stored = await test.redis.get(`${test.prefix}:wechat:token:${APP.appId}`);
    expect(stored).toBeTruthy();
    expect(stored).not.toContain(tokens[0]);
    expect(await test.redis.pttl(`${test.prefix}:wechat:token:${APP.appId}`)).toBeLessThanOrEqual((7200 - 300) * 1000);
  });

  it('drops an expired token (42001) and tries once more with a new one', async () => {
    const tokens = process();
    const old = await tokens.token(APP);
    wechat.expireTokens(APP.appId);
    const grants = wechat.grants.get(APP.appId)!;
    const seen: string[] = [];
    const answer = await tokens.withToken(APP, async (token) => {
      seen.push(token);
      return new WechatApi(config).call('GET', '/cgi-bin/user/info', token, { openid: 'oNobody' }).catch((error: unknown) => {
        if (error instanceof WechatApiError && error.errcode === 40003) return 'invalid openid, with a good token';
        throw error;
      });
    });
    expect(answer).toBe('invalid openid, with a good token');
    expect(seen).toEqual([old, expect.not.stringMatching(old)]);
    expect(wechat.grants.get(APP.appId)).toBe(grants + 1);
  });

  it('passes other errcodes on without a new grant', async () => {
    const tokens = process();
    await tokens.token(APP);
    const grants = wechat.grants.get(APP.appId)!;
    const error = await userInfo(tokens);
    expect(error).toBeInstanceOf(WechatApiError);
    expect(error).toMatchObject({ errcode: 40003 });
    expect(wechat.grants.get(APP.appId)).toBe(grants);
  });

  it('answers a wrong AppSecret or an unknown AppID with WeChat’s errcode, caching nothing', async () => {
    wechat.addAccount({ appId: 'wx00000000000000c3', appSecret: 'right', token: 't0ken', originalId: 'gh_0000000000c3' });
    await expect(process().token({ appId: 'wx00000000000000c3', appSecret: 'wrong' })).rejects.toMatchObject({ errcode: 40125 });
    await expect(process().token({ appId: 'wx00000000000000b2', appSecret: 'x' })).rejects.toMatchObject({ errcode: 40013 });
    expect(
      await test.redis.exists(`${test.prefix}:wechat:token:wx00000000000000c3`, `${test.prefix}:wechat:token-lock:wx00000000000000c3`),
    ).toBe(0);
  });
});
