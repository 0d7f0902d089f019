import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { larkCallback, startLarkStandIn, type LarkStandIn, type LarkStandInApp } from '@openflows/test-support/lark-stand-in';
import { loadConfig, type AcceptEvent, type EventEnvelope, type IngressRequest, type RoutedEvent } from '@openflows/common';
import { ConnectionsRepository, FlowsRepository, UsersRepository } from '@openflows/db';
import { LarkAdapter } from './lark.adapter';
import { LarkConnectionsService } from './lark-connections.service';
import { LarkIngress } from './lark-ingress';

const APP: LarkStandInApp = {
  appId: 'cli_spec_a1',
  appSecret: 'spec-app-secret',
  encryptKey: 'spec-encrypt-key',
  verificationToken: 'spec-verification-token',
  botName: 'Helper',
  botOpenId: 'ou_spec_bot',
  chats: ['oc_general', 'oc_team'],
};
const connectBody = {
  appId: APP.appId,
  appSecret: APP.appSecret,
  encryptKey: APP.encryptKey,
  verificationToken: APP.verificationToken,
  domain: 'feishu',
};
const PUBLIC_URL = 'https://openflows.example.com';

/** A request to the ingress as the generic webhook controller builds it, from what Lark would send. */
function requestOf(path: string, callback: { headers: Record<string, string>; body: string }): IngressRequest {
  return { method: 'POST', path, headers: callback.headers, query: {}, raw: Buffer.from(callback.body) };
}

/** An accepted event as the events table would keep it. */
const routedOf = (envelope: EventEnvelope): RoutedEvent => ({ id: 'event-1', ...envelope });

describe('LarkAdapter (postgres, Lark stand-in)', () => {
  let database: TestDatabase;
  let lark: LarkStandIn;
  let adapter: LarkAdapter;
  let ingress: LarkIngress;
  let connections: ConnectionsRepository;
  let ownerId: string;
  let connectionId: string;
  /** What the ingress handed on, in order: it stands for the events table and queue behind `accept`. */
  const accepted: EventEnvelope[] = [];
  const accept: AcceptEvent = async (envelope) => {
    accepted.push(envelope);
    return { status: 'queued', eventId: `event-${accepted.length}` };
  };

  /** Posts `body` through the ingress as Lark would for the connected app. */
  const receive = (body: unknown, options: Parameters<typeof larkCallback>[2] = {}, path = connectionId) =>
    ingress.receive(requestOf(path, larkCallback(body, APP.encryptKey, options)), accept);

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase('postgres');
    lark = await startLarkStandIn();
    lark.addApp(APP);
    const config = loadConfig({ MASTER_KEY: randomBytes(32).toString('base64'), LARK_API_URL: lark.url, PUBLIC_URL });
    connections = new ConnectionsRepository(database.handle.db);
    const apps = new LarkConnectionsService(config, connections);
    ingress = new LarkIngress(apps);
    adapter = new LarkAdapter(config, apps, connections, new FlowsRepository(database.handle.db), ingress);
    ownerId = (await new UsersRepository(database.handle.db).local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await lark?.close();
    await database?.drop();
  });

  describe('connect', () => {
    test.each([
      ['no body', undefined, /appId, appSecret, verificationToken, domain/],
      ['an unknown domain', { ...connectBody, domain: 'open.feishu.cn' }, /domain \(feishu or lark\)/],
      ['an empty app secret', { ...connectBody, appSecret: ' ' }, /appSecret/],
    ])('refuses %s with CONNECT_INVALID and asks Lark nothing', async (_what, body, message) => {
      const before = lark.calls.length;
      await expect(adapter.connections.connect!(ownerId, body)).rejects.toMatchObject({
        code: 'CONNECT_INVALID',
        message: expect.stringMatching(message),
      });
      expect(lark.calls.length).toBe(before);
    });

    test.each([
      ['a wrong app secret', { ...connectBody, appSecret: 'wrong' }, /app secret invalid \(code 10014\)/],
      ['an unknown app id', { ...connectBody, appId: 'cli_unknown' }, /invalid param \(code 10003\)/],
    ])('refuses %s with CREDENTIALS_INVALID and stores nothing', async (_what, body, message) => {
      await expect(adapter.connections.connect!(ownerId, body)).rejects.toMatchObject({
        code: 'CREDENTIALS_INVALID',
        status: 400,
        message: expect.stringMatching(message),
      });
      expect(await connections.list(ownerId)).toEqual([]);
    });

    test('stores the app with its bot, secrets sealed, and answers the request URL to paste', async () => {
      const result = await adapter.connections.connect!(ownerId, connectBody);
      connectionId = result.connectionId;
      expect(result.webhookUrl).toBe(`${PUBLIC_URL}/webhooks/lark/${connectionId}`);
      const row = await connections.findById(connectionId);
      expect(row).toMatchObject({
        provider: 'lark',
        kind: 'app',
        externalId: APP.appId,
        accountLogin: 'Helper',
        botUserId: APP.botOpenId,
        status: 'active',
      });
      for (const secret of [APP.appSecret, APP.encryptKey, APP.verificationToken]) expect(row!.credentials).not.toContain(secret);
      // The bot's info was asked with the token the check got.
      const info = lark.calls.find((c) => c.path === '/open-apis/bot/v3/info')!;
      const token = lark.calls.findLast((c) => c.path.endsWith('/tenant_access_token/internal'));
      expect(info.token).toMatch(/^t-/);
      expect(token?.body).toEqual({ app_id: APP.appId, app_secret: APP.appSecret });
      expect(adapter.connections.details(row as never)).toEqual([`bot ${APP.botOpenId}`, `request URL ${result.webhookUrl}`]);
    });

    test('a reconnect keeps the connection and its URL; another user cannot take the app', async () => {
      const again = await adapter.connections.connect!(ownerId, { ...connectBody, encryptKey: undefined });
      expect(again.connectionId).toBe(connectionId);
      const other = await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '4242', login: 'mallory' });
      await expect(adapter.connections.connect!(other.id, connectBody)).rejects.toMatchObject({ code: 'CONNECTION_TAKEN', status: 409 });
      await adapter.connections.connect!(ownerId, connectBody);
    });

    test('an unreachable Open Platform is VENDOR_FAILED', async () => {
      const config = loadConfig({ MASTER_KEY: randomBytes(32).toString('base64'), LARK_API_URL: 'http://127.0.0.1:9' });
      const apps = new LarkConnectionsService(config, connections);
      await expect(apps.connect(ownerId, connectBody)).rejects.toMatchObject({ code: 'VENDOR_FAILED', status: 502 });
    });
  });

  describe('ingress', () => {
    test('answers url_verification with its challenge, encrypted or plain', async () => {
      const challenge = lark.challenge(APP.appId);
      expect(await receive(challenge)).toEqual({ status: 200, body: { challenge: challenge.challenge } });
      expect(await receive(challenge, { encrypt: false, sign: false })).toEqual({ status: 200, body: { challenge: challenge.challenge } });
    });

    test('hands a signed encrypted message on as its envelope', async () => {
      const event = lark.messageEvent(APP.appId, { chatId: 'oc_general', text: 'hello' });
      const answer = await receive(event);
      expect(answer).toEqual({ status: 200, body: { status: 'queued', eventId: `event-${accepted.length}` } });
      expect(accepted.at(-1)).toMatchObject({
        deliveryId: event.header.event_id,
        target: `${APP.appId}/oc_general`,
        conversationKey: `${APP.appId}/oc_general`,
      });
    });

    test.each([
      [
        'a forged signature',
        () => receive(lark.messageEvent(APP.appId, { chatId: 'oc_general', text: 'x' }), { signingKey: 'forged' }),
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'a forged verification token',
        () => receive(lark.messageEvent(APP.appId, { chatId: 'oc_general', text: 'x', token: 'forged' })),
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'a plain body with a forged token',
        () => receive(lark.messageEvent(APP.appId, { chatId: 'oc_general', text: 'x', token: 'forged' }), { encrypt: false, sign: false }),
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'a body encrypted with another key (unsigned)',
        () => ingress.receive(requestOf(connectionId, larkCallback(lark.challenge(APP.appId), 'other-key', { sign: false })), accept),
        400,
        'DECRYPTION_FAILED',
      ],
      [
        'a body that is not JSON',
        () => ingress.receive({ ...requestOf(connectionId, { headers: {}, body: '{' }) }, accept),
        400,
        'BODY_MALFORMED',
      ],
      [
        'an unknown connection',
        () => receive(lark.challenge(APP.appId), {}, '00000000-0000-4000-8000-000000000000'),
        404,
        'CONNECTION_NOT_FOUND',
      ],
      ['a path that is no connection id', () => receive(lark.challenge(APP.appId), {}, 'events'), 404, 'CONNECTION_NOT_FOUND'],
    ])('refuses %s and hands nothing on', async (_what, send, status, code) => {
      const before = accepted.length;
      await expect(send()).rejects.toMatchObject({ status, code });
      expect(accepted.length).toBe(before);
    });

    test("refuses another app's event and acknowledges other event types without handing them on", async () => {
      const before = accepted.length;
      const other = lark.messageEvent(APP.appId, { chatId: 'oc_general', text: 'x' });
      other.header.app_id = 'cli_other';
      await expect(receive(other)).rejects.toMatchObject({ code: 'DELIVERY_MALFORMED' });
      const reaction = {
        schema: '2.0',
        header: { ...other.header, app_id: APP.appId, event_type: 'im.message.reaction.created_v1' },
        event: {},
      };
      expect(await receive(reaction)).toEqual({ status: 200, body: { status: 'ignored' } });
      expect(accepted.length).toBe(before);
    });
  });

  describe('routing', () => {
    const envelopeOf = async (fields: Parameters<LarkStandIn['messageEvent']>[1]) => {
      await receive(lark.messageEvent(APP.appId, fields));
      return routedOf(accepted.at(-1)!);
    };

    test("reaches the connection's owner under app id and bot name, each also with *", async () => {
      expect(await adapter.route(await envelopeOf({ chatId: 'oc_General', text: 'hi' }))).toEqual({
        owners: [ownerId],
        targets: ['cli_spec_a1/oc_general', 'cli_spec_a1/*', 'helper/oc_general', 'helper/*'],
        events: ['message'],
      });
    });

    test("drops the bot's own messages; another app's reach flows marked as a bot's", async () => {
      const own = await envelopeOf({ chatId: 'oc_general', text: 'mine', senderOpenId: APP.botOpenId, senderType: 'app' });
      expect(await adapter.route(own)).toEqual({ dropped: "the bot's own message" });
      const other = await envelopeOf({ chatId: 'oc_general', text: 'theirs', senderOpenId: 'ou_other_bot', senderType: 'app' });
      expect(await adapter.route(other)).toMatchObject({ owners: [ownerId] });
      expect((await adapter.bindRun(ownerId, other)).context).toMatchObject({
        sender: { id: 'ou_other_bot', isBot: true },
      });
    });

    test('drops the events of an app that is not connected', async () => {
      const event = await envelopeOf({ chatId: 'oc_general', text: 'hi' });
      const payload = structuredClone(event.payload) as { header: { app_id: string } };
      payload.header.app_id = 'cli_gone';
      expect(await adapter.route({ ...event, payload })).toEqual({ dropped: 'the Feishu/Lark app cli_gone is not connected' });
      const binding = await adapter.bindRun(ownerId, { ...event, payload });
      await expect(binding.capabilities['lark.sendMessage'](['oc_general', 'x'])).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    });
  });

  describe('run binding', () => {
    const bound = async (fields: Parameters<LarkStandIn['messageEvent']>[1]) => {
      await receive(lark.messageEvent(APP.appId, fields));
      return adapter.bindRun(ownerId, routedOf(accepted.at(-1)!));
    };

    test('gives the chat context and sends into the chat with the tenant token', async () => {
      const binding = await bound({ chatId: 'oc_team', text: 'ping' });
      const context = binding.context as { messageId: string };
      expect(context).toEqual({
        account: 'Helper',
        chatId: 'oc_team',
        messageId: expect.stringMatching(/^om_/),
        sender: { id: 'ou_alice', isBot: false },
      });
      const { messageId } = (await binding.capabilities['lark.sendMessage'](['oc_team', 'pong'])) as { messageId: string };
      expect(lark.sent.at(-1)).toMatchObject({ message_id: messageId, chat_id: 'oc_team', text: 'pong', msg_type: 'text' });
      expect(lark.sent.at(-1)).not.toHaveProperty('root_id');
      const call = lark.calls.findLast((c) => c.path === '/open-apis/im/v1/messages')!;
      expect(call.query).toEqual({ receive_id_type: 'chat_id' });
      expect(call.token).toMatch(/^t-/);
    });

    test('replies to a message, in its thread when a thread is given', async () => {
      const binding = await bound({ chatId: 'oc_team', text: 'in a thread', threadId: 'omt_spec' });
      const { messageId, threadId } = binding.context as { messageId: string; threadId: string };
      expect(threadId).toBe('omt_spec');
      await binding.capabilities['lark.sendMessage'](['oc_team', 'answer', { replyTo: messageId, threadId }]);
      expect(lark.sent.at(-1)).toMatchObject({ chat_id: 'oc_team', parent_id: messageId, thread_id: 'omt_spec', text: 'answer' });
      expect(lark.calls.at(-1)).toMatchObject({
        path: `/open-apis/im/v1/messages/${messageId}/reply`,
        body: expect.objectContaining({ reply_in_thread: true }),
      });
      await binding.capabilities['lark.sendMessage'](['oc_team', 'quoted', { replyTo: messageId }]);
      expect(lark.calls.at(-1)!.body).not.toHaveProperty('reply_in_thread');
    });

    test("refuses a thread without replyTo, and answers Lark's refusals as REQUEST_FAILED with its body", async () => {
      const binding = await bound({ chatId: 'oc_team', text: 'x' });
      const send = binding.capabilities['lark.sendMessage'];
      await expect(send(['oc_team', 'x', { threadId: 'omt_1' }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(send(['oc_team', 42])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(send(['oc_elsewhere', 'x'])).rejects.toMatchObject({ code: 'REQUEST_FAILED', status: 400, data: { code: 230002 } });
      await expect(send(['oc_team', 'x', { replyTo: 'om_unknown' }])).rejects.toMatchObject({
        code: 'REQUEST_FAILED',
        data: { code: 230001 },
      });
    });

    test('lark.client calls API methods by dotted path and answers JSON', async () => {
      const client = (await bound({ chatId: 'oc_team', text: 'x' })).capabilities['lark.client'];
      const answer = await client([
        'im.v1.message.create',
        [{ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_general', msg_type: 'text', content: '{"text":"direct"}' } }],
      ]);
      expect(answer).toMatchObject({ code: 0, data: { chat_id: 'oc_general', msg_type: 'text' } });
      expect(lark.sent.at(-1)).toMatchObject({ chat_id: 'oc_general', text: 'direct' });
      await expect(
        client(['im.message.create', [{ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_team' } }]]),
      ).rejects.toMatchObject({
        code: 'REQUEST_FAILED',
        data: { code: 99992402 },
      });
    });

    test.each([
      'request',
      'formatPayload',
      'appSecret',
      'tokenManager.getTenantAccessToken',
      'httpInstance.request',
      'cache.set',
      'im',
      'im.v1.message',
      'im.v1.message.listWithIterator',
      'im.v1.message.create.call',
      'im.__proto__.constructor',
      'constructor',
      'nothing.here',
    ])('lark.client refuses %s with INVALID_ARGUMENT and calls nothing', async (path) => {
      const client = (await bound({ chatId: 'oc_team', text: 'x' })).capabilities['lark.client'];
      const before = lark.calls.length;
      await expect(client([path, []])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(lark.calls.length).toBe(before);
    });
  });
});
