import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { loadConfig } from '@openflows/common';
import { ConnectionsRepository, UsersRepository } from '@openflows/db';
import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { TEST_REDIS_URL, useTestRedis } from '@openflows/test-support/redis';
import { startWechatStandIn, type WechatStandIn } from '@openflows/test-support/wechat-stand-in';
import { WechatAccessTokens } from './wechat-access-tokens.service';
import { WechatAccountsService } from './wechat-accounts.service';
import { WechatApi } from './wechat-api';

const ACCOUNT = {
  appId: 'wx00000000000000e5',
  appSecret: 'secret-e5',
  token: 'T0kenE5',
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  originalId: 'gh_0000000000e5',
};
const BODY = { appId: ACCOUNT.appId, appSecret: ACCOUNT.appSecret, token: ACCOUNT.token, encodingAesKey: ACCOUNT.encodingAesKey };

describe('WechatAccountsService.connect (postgres, real Redis, the WeChat stand-in)', () => {
  const test = useTestRedis('wechat-accounts');
  let database: TestDatabase;
  let wechat: WechatStandIn;
  let redis: Redis;
  let connections: ConnectionsRepository;
  let accounts: WechatAccountsService;
  let tokens: WechatAccessTokens;
  let owner: string;
  let other: string;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase('postgres');
    wechat = await startWechatStandIn();
    wechat.addAccount(ACCOUNT);
    const config = loadConfig({
      MASTER_KEY: randomBytes(32).toString('base64'),
      WECHAT_API_URL: wechat.url,
      PUBLIC_URL: 'https://flows.example.com/',
      REDIS_PREFIX: test.prefix,
    });
    redis = new Redis(TEST_REDIS_URL);
    connections = new ConnectionsRepository(database.handle.db);
    const api = new WechatApi(config);
    tokens = new WechatAccessTokens(config, redis, api);
    accounts = new WechatAccountsService(config, connections, api, tokens);
    const users = new UsersRepository(database.handle.db);
    owner = (await users.upsert({ provider: 'github', externalId: '1', login: 'owner' })).id;
    other = (await users.upsert({ provider: 'github', externalId: '2', login: 'other' })).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await redis.quit();
    await wechat.close();
    await database.drop();
  });

  it('stores the account with its credentials sealed and answers the server URL to paste', async () => {
    const result = await accounts.connect(owner, BODY);
    expect(result.webhookUrl).toBe(`https://flows.example.com/webhooks/wechat/${result.connectionId}`);
    const row = (await connections.findById(result.connectionId))!;
    expect(row).toMatchObject({
      provider: 'wechat',
      kind: 'account',
      externalId: ACCOUNT.appId,
      accountLogin: ACCOUNT.appId,
      ownerId: owner,
      status: 'active',
    });
    for (const secret of [ACCOUNT.appSecret, ACCOUNT.token, ACCOUNT.encodingAesKey]) expect(row.credentials).not.toContain(secret);
    expect(await accounts.byConnectionId(result.connectionId)).toMatchObject({
      ...BODY,
      connectionId: result.connectionId,
      ownerId: owner,
    });
    // The grant that checked the credentials is the cached token: the first call needs no second grant.
    await tokens.token({ appId: ACCOUNT.appId, appSecret: ACCOUNT.appSecret });
    expect(wechat.grants.get(ACCOUNT.appId)).toBe(1);
  });

  it('connecting again keeps the connection and replaces its credentials', async () => {
    const first = await accounts.byAppId(ACCOUNT.appId);
    const again = await accounts.connect(owner, { ...BODY, token: 'NewToken', encodingAesKey: undefined });
    expect(again.connectionId).toBe(first!.connectionId);
    const account = await accounts.byAppId(ACCOUNT.appId);
    expect(account).toMatchObject({ token: 'NewToken' });
    expect(account!.encodingAesKey).toBeUndefined();
  });

  it('refuses another user’s account with CONNECTION_TAKEN', async () => {
    await expect(accounts.connect(other, BODY)).rejects.toMatchObject({ code: 'CONNECTION_TAKEN', status: 409 });
    expect((await accounts.byAppId(ACCOUNT.appId))!.ownerId).toBe(owner);
  });

  it('answers WeChat’s refusal with CREDENTIALS_INVALID and its errcode, storing nothing', async () => {
    await expect(accounts.connect(owner, { ...BODY, appSecret: 'wrong' })).rejects.toMatchObject({
      code: 'CREDENTIALS_INVALID',
      details: { errcode: 40125, errmsg: expect.stringContaining('invalid appsecret') },
    });
    await expect(accounts.connect(owner, { ...BODY, appId: 'wx00000000000000ff' })).rejects.toMatchObject({
      code: 'CREDENTIALS_INVALID',
      details: { errcode: 40013 },
    });
    expect(await connections.findAccount('wechat', 'account', 'wx00000000000000ff')).toBeUndefined();
  });

  it.each([
    ['no body', undefined],
    ['no AppSecret', { ...BODY, appSecret: '' }],
    ['a Token with symbols', { ...BODY, token: 'not a token!' }],
    ['a short Token', { ...BODY, token: 'ab' }],
    ['an EncodingAESKey of 42 characters', { ...BODY, encodingAesKey: ACCOUNT.encodingAesKey.slice(1) }],
    ['an AppID with a slash', { ...BODY, appId: 'wx/1' }],
  ])('refuses %s with CONNECT_INVALID before asking WeChat', async (_what, body) => {
    const calls = wechat.calls.length;
    await expect(accounts.connect(owner, body)).rejects.toMatchObject({ code: 'CONNECT_INVALID', status: 400 });
    expect(wechat.calls).toHaveLength(calls);
  });

  it('answers VENDOR_FAILED when WeChat cannot be reached', async () => {
    const config = loadConfig({
      MASTER_KEY: randomBytes(32).toString('base64'),
      WECHAT_API_URL: 'http://127.0.0.1:9',
      REDIS_PREFIX: test.prefix,
    });
    const api = new WechatApi(config);
    const offline = new WechatAccountsService(config, connections, api, new WechatAccessTokens(config, redis, api));
    await expect(offline.connect(owner, BODY)).rejects.toMatchObject({ code: 'VENDOR_FAILED', status: 502 });
  });
});
