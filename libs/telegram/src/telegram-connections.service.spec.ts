import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { startTelegramStandIn, type TelegramStandIn } from '@openflows/test-support/telegram-stand-in';
import { FORUM_CHAT, exampleUpdate, textUpdate } from '@openflows/test-support/telegram-updates';
import { CodedError, loadConfig, type EventEnvelope, type IngressRequest } from '@openflows/common';
import { ConnectionsRepository, FlowsRepository, UsersRepository } from '@openflows/db';
import { SdkError } from '@openflows/sdk';
import { TelegramConnectionsService } from './telegram-connections.service';
import { TelegramIngress } from './telegram-ingress';
import { TelegramAdapter } from './telegram.adapter';

const BOT_ID = 7000001;
const PUBLIC_URL = 'https://openflows.example.com';

/** The code of the CodedError `call` rejects with. */
async function codeOf(call: Promise<unknown>): Promise<string> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CodedError)) throw new Error(`expected a CodedError, got ${String(error)}`);
  return error.code;
}

describe('TelegramConnectionsService and TelegramIngress (postgres, Bot API stand-in)', () => {
  let database: TestDatabase;
  let telegram: TelegramStandIn;
  let connections: ConnectionsRepository;
  let bots: TelegramConnectionsService;
  let ingress: TelegramIngress;
  let adapter: TelegramAdapter;
  let alice: string;
  let bob: string;
  let token: string;
  /** What the ingress handed on, in order. */
  const accepted: EventEnvelope[] = [];
  const accept = async (envelope: EventEnvelope) => {
    accepted.push(envelope);
    return { status: 'queued' as const, eventId: `event-${accepted.length}` };
  };

  /** A webhook request as the generic ingress hands it over. */
  const request = (path: string, body: unknown, secret?: string): IngressRequest => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...(secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
    query: {},
    raw: Buffer.from(JSON.stringify(body)),
  });

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase('postgres');
    telegram = await startTelegramStandIn();
    token = telegram.addBot({ id: BOT_ID, username: 'openflows_test_bot' });
    const config = loadConfig({ MASTER_KEY: randomBytes(32).toString('base64'), TELEGRAM_API_URL: telegram.url, PUBLIC_URL });
    connections = new ConnectionsRepository(database.handle.db);
    bots = new TelegramConnectionsService(config, connections);
    ingress = new TelegramIngress(bots);
    adapter = new TelegramAdapter(bots, new FlowsRepository(database.handle.db), ingress);
    const users = new UsersRepository(database.handle.db);
    alice = (await users.upsert({ provider: 'github', externalId: '1', login: 'alice' })).id;
    bob = (await users.upsert({ provider: 'github', externalId: '2', login: 'bob' })).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await telegram.close();
    await database.drop();
  });

  it.each([[{}], [{ botToken: 42 }], [{ botToken: 'not a token' }], [{ botToken: '123/../../x:AAAAAAAAAAAAAAAAAAAAAAAA' }]])(
    'refuses %j with CONNECT_INVALID without calling Telegram',
    async (body) => {
      expect(await codeOf(bots.connect(alice, body))).toBe('CONNECT_INVALID');
      expect(telegram.calls).toEqual([]);
    },
  );

  it('refuses a token Telegram does not know with CREDENTIALS_INVALID and stores nothing', async () => {
    expect(await codeOf(bots.connect(alice, { botToken: `${BOT_ID}:${'x'.repeat(35)}` }))).toBe('CREDENTIALS_INVALID');
    expect(await connections.list(alice)).toEqual([]);
  });

  it('connects the bot: getMe, the row with its credentials sealed, and the webhook with a random secret', async () => {
    const { connectionId } = await bots.connect(alice, { botToken: token });
    const row = (await connections.findById(connectionId))!;
    expect(row).toMatchObject({
      provider: 'telegram',
      kind: 'bot',
      externalId: String(BOT_ID),
      accountLogin: 'openflows_test_bot',
      botUserId: String(BOT_ID),
      ownerId: alice,
      status: 'active',
    });
    const webhook = telegram.webhook(BOT_ID)!;
    expect(webhook.url).toBe(`${PUBLIC_URL}/webhooks/telegram/${connectionId}`);
    expect(webhook.secretToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(webhook.allowedUpdates).toEqual(['message', 'edited_message', 'callback_query']);
    expect(row.credentials).not.toContain(token);
    expect(row.credentials).not.toContain(webhook.secretToken);
    expect(telegram.calls.slice(-2).map((c) => c.method)).toEqual(['getMe', 'setWebhook']);
  });

  it('refuses the same bot for another user with CONNECTION_TAKEN, leaving the webhook and the row alone', async () => {
    const before = telegram.webhook(BOT_ID);
    expect(await codeOf(bots.connect(bob, { botToken: token }))).toBe('CONNECTION_TAKEN');
    expect(telegram.webhook(BOT_ID)).toEqual(before);
    expect((await connections.findAccount('telegram', 'bot', String(BOT_ID)))?.ownerId).toBe(alice);
  });

  it('takes an update with the registered secret, and refuses a wrong, missing or other connection secret with SIGNATURE_INVALID', async () => {
    const { url, secretToken } = telegram.webhook(BOT_ID)!;
    const connectionId = url.split('/').at(-1)!;
    const update = exampleUpdate('message-text');
    expect(await ingress.receive(request(connectionId, update, secretToken), accept)).toEqual({
      status: 200,
      body: { status: 'queued', eventId: 'event-1' },
    });
    expect(accepted).toEqual([expect.objectContaining({ deliveryId: `${BOT_ID}:10000`, target: `${BOT_ID}/1111111` })]);
    for (const forged of [
      request(connectionId, update, 'not-the-secret'),
      request(connectionId, update),
      request(connectionId, update, `${secretToken}x`),
      request('00000000-0000-4000-8000-000000000000', update, secretToken),
      request('not-a-uuid', update, secretToken),
      { ...request(connectionId, update, secretToken), method: 'GET' },
    ]) {
      expect(await codeOf(ingress.receive(forged, accept))).toBe('SIGNATURE_INVALID');
    }
    expect(accepted).toHaveLength(1);
  });

  it('acknowledges an update kind flows do not get, and refuses a body that is no Update', async () => {
    const { url, secretToken } = telegram.webhook(BOT_ID)!;
    const connectionId = url.split('/').at(-1)!;
    expect(await ingress.receive(request(connectionId, exampleUpdate('inline-query'), secretToken), accept)).toMatchObject({
      status: 200,
      body: { status: 'ignored' },
    });
    expect(await codeOf(ingress.receive(request(connectionId, { hello: 'world' }, secretToken), accept))).toBe('DELIVERY_MALFORMED');
    expect(await codeOf(ingress.receive({ ...request(connectionId, {}, secretToken), raw: Buffer.from('{') }, accept))).toBe(
      'BODY_MALFORMED',
    );
    expect(accepted).toHaveLength(1);
  });

  it('a reconnect by the owner keeps the row and registers a new secret', async () => {
    const before = telegram.webhook(BOT_ID)!;
    const { connectionId } = await bots.connect(alice, { botToken: token });
    expect(before.url).toBe(`${PUBLIC_URL}/webhooks/telegram/${connectionId}`);
    expect(telegram.webhook(BOT_ID)!.secretToken).not.toBe(before.secretToken);
    expect(await connections.list(alice)).toHaveLength(1);
  });

  it("binds a run of the owner's flow to the bot: the chat context, the routing names and the bot's Api", async () => {
    const update = textUpdate('hello', { chat: FORUM_CHAT, topic: 42, messageId: 31 });
    const event = {
      id: 'e1',
      provider: 'telegram',
      name: 'message',
      deliveryId: `${BOT_ID}:1`,
      target: `${BOT_ID}/${FORUM_CHAT.id}`,
      payload: update,
    };
    const binding = await adapter.bindRun(alice, event);
    expect(binding.context).toEqual({
      account: 'openflows_test_bot',
      chatId: String(FORUM_CHAT.id),
      threadId: '42',
      messageId: '31',
      sender: { id: '1111111', name: 'Test Firstname Test Lastname', isBot: false },
    });
    expect(binding.targets).toContain(`openflows_test_bot/*`);
    expect(binding.names).toEqual(['message']);
    expect(await binding.capabilities['telegram.client'](['getMe', []])).toMatchObject({ id: BOT_ID });

    for (const unbound of [await adapter.bindRun(bob, event), adapter.unbound()]) {
      const error = await unbound.capabilities['telegram.sendMessage']([String(FORUM_CHAT.id), 'hi', {}]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SdkError);
      expect((error as SdkError).code).toBe('NOT_CONNECTED');
    }
  });

  it('disconnect deletes the webhook at Telegram', async () => {
    const row = (await connections.findAccount('telegram', 'bot', String(BOT_ID)))!;
    await bots.disconnect(row);
    expect(telegram.webhook(BOT_ID)).toBeUndefined();
    expect(telegram.calls.at(-1)).toMatchObject({ method: 'deleteWebhook', token });
  });

  it('keeps the connection as error/webhook_failed when Telegram refuses the webhook URL', async () => {
    const plainHttp = new TelegramConnectionsService(
      loadConfig({
        MASTER_KEY: randomBytes(32).toString('base64'),
        TELEGRAM_API_URL: telegram.url,
        PUBLIC_URL: 'http://openflows.example.com',
      }),
      connections,
    );
    expect(await codeOf(plainHttp.connect(alice, { botToken: token }))).toBe('VENDOR_FAILED');
    expect(await connections.findAccount('telegram', 'bot', String(BOT_ID))).toMatchObject({
      status: 'error',
      statusReason: 'webhook_failed',
    });
  });
});
