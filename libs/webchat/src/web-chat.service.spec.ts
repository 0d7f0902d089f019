import { randomBytes } from 'node:crypto';
import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { startOpenAiStandIn, type OpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { useTestRedis } from '@openflows/test-support/redis';
import { CodedError, loadConfig, type AppConfig, type EventEnvelope } from '@openflows/common';
import { FlowsRepository, UsersRepository, WebChatsRepository } from '@openflows/db';
import { ChatService, LlmGateway, LlmUsageStore, MediaService, RedisConversationMemory } from '@openflows/llm';
import { SdkError, type WebChatMessage } from '@openflows/sdk';
import { LlmKeyChecker, SecretsService } from '@openflows/secrets';
import { ConversationTranscript } from './conversation-transcript';
import { MESSAGES_PER_MINUTE, MessageLimiter } from './message-limiter.service';
import { VisitorSessions } from './visitor-sessions';
import { WebChatAdapter } from './web-chat.adapter';
import { WebChatKeysService } from './web-chat-keys.service';
import { WebChatPasswordService } from './web-chat-password.service';
import { WebChatService } from './web-chat.service';
import { ConversationPublisher, ConversationStreams } from './web-chat-streams';

const PUBLIC_URL = 'https://flows.example.com';
const ROLES = [
  { name: 'Assistant', systemPrompt: 'You help.' },
  { name: 'Translator', systemPrompt: 'You translate.' },
];

/** The code of the CodedError (or SdkError) `call` rejects with. */
async function codeOf(call: Promise<unknown>): Promise<string> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CodedError) && !(error instanceof SdkError)) throw new Error(`expected a coded error, got ${String(error)}`);
  return error.code;
}

describe('web chats (postgres, Redis, the OpenAI stand-in)', () => {
  const testRedis = useTestRedis('webchat');
  let database: TestDatabase;
  let llm: OpenAiStandIn;
  let config: AppConfig;
  let flows: FlowsRepository;
  let secrets: SecretsService;
  let keys: WebChatKeysService;
  let chats: WebChatService;
  let adapter: WebChatAdapter;
  let streams: ConversationStreams;
  let usage: LlmUsageStore;
  let alice: string;
  let flowId: string;
  const accepted: EventEnvelope[] = [];
  const accept = async (envelope: EventEnvelope) => {
    accepted.push(envelope);
    return { status: 'queued' as const, eventId: `event-${accepted.length}` };
  };

  /** Deploys alice's flow `name` with one web chat `helpdesk` of `options`. @returns the flow's id and the chat's key. */
  async function deployChat(name: string, options: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const detail = await flows.deploy({
      ownerId: alice,
      name,
      bundle: '/* bundle */',
      env: {},
      subscriptions: [{ provider: 'web', target: 'helpdesk', event: 'message', options }],
    });
    const { webChats } = await keys.describe({ id: detail.flow.id, ownerId: alice, name, paused: false }, detail.subscriptions);
    return { id: detail.flow.id, key: webChats[0].url.split('/').pop()! };
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    llm = await startOpenAiStandIn();
    config = loadConfig({ MASTER_KEY: randomBytes(32).toString('base64'), PUBLIC_URL, REDIS_PREFIX: testRedis.prefix });
    const redis = testRedis.redis;
    flows = new FlowsRepository(database.handle.db);
    const repository = new WebChatsRepository(database.handle.db);
    secrets = new SecretsService(config, redis, new LlmKeyChecker(config));
    keys = new WebChatKeysService(repository, config);
    const transcript = new ConversationTranscript(redis, config);
    const publisher = new ConversationPublisher(redis, config);
    streams = new ConversationStreams(redis, config);
    const password = new WebChatPasswordService(config, redis, secrets, repository);
    const clients = { defaultBaseUrl: config.llm.baseUrl, maxRetries: 0 };
    const memory = new RedisConversationMemory(redis, testRedis.prefix, 600);
    const llmGateway = new LlmGateway(
      new ChatService(memory, clients),
      new MediaService(clients),
      (usage = new LlmUsageStore(redis, testRedis.prefix)),
    );
    chats = new WebChatService(
      repository,
      new VisitorSessions(redis, config),
      password,
      secrets,
      transcript,
      publisher,
      streams,
      llmGateway,
      new MessageLimiter(config, redis),
    );
    adapter = new WebChatAdapter(flows, keys, publisher, transcript);
    alice = (await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '1', login: 'alice' })).id;
    flowId = (await deployChat('helpdesk-flow', { title: 'Help', roles: ROLES, transcriptionKey: 'openai' })).id;
    await secrets.put(alice, 'openai', { value: 'sk-test-0123456789abcdef', baseURL: llm.url });
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await streams.onApplicationShutdown();
    await llm.close();
    await database.drop();
  });

  it("keeps a chat's key across redeploys and lists its URL with an iframe snippet; a rotation replaces it", async () => {
    const first = await deployChat('keys-flow', {});
    const again = await deployChat('keys-flow', { title: 'Changed' });
    expect(again).toEqual(first);
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const rotated = await keys.rotate(first.id, 'HelpDesk');
    expect(rotated).toEqual({
      name: 'helpdesk',
      url: expect.stringMatching(`^${PUBLIC_URL}/chat/`),
      embed: expect.stringContaining('<iframe'),
    });
    expect(rotated.url).not.toContain(first.key);
    expect(await codeOf(chats.open(first.key, undefined))).toBe('WEB_CHAT_NOT_FOUND');
    expect(await codeOf(keys.rotate(first.id, 'nope'))).toBe('WEB_CHAT_NOT_FOUND');
  });

  it("sends a message as an event of the chat's flow, in the visitor's conversation, with the role; New chat restarts it", async () => {
    const { key } = await deployChat('helpdesk-flow', { title: 'Help', roles: ROLES, transcriptionKey: 'openai' });
    const visitor = await chats.open(key, undefined);
    expect(visitor.created).toBe(true);
    expect(await chats.state(visitor)).toEqual({
      title: 'Help',
      roles: ['Assistant', 'Translator'],
      role: 'Assistant',
      locked: false,
      voice: true,
      conversationId: visitor.session.conversation,
      transcript: [],
    });
    const id = '6f1c2b7e-0000-4000-8000-000000000001';
    await chats.send(visitor, { text: ' Hello ', id }, accept);
    const first = accepted.at(-1)!;
    expect(first).toMatchObject({
      provider: 'web',
      name: 'message',
      target: `${flowId}/helpdesk`,
      deliveryId: expect.stringContaining(id),
    });
    expect(first.payload).toMatchObject({
      chat: 'helpdesk',
      text: 'Hello',
      role: ROLES[0],
      restart: false,
      conversationId: visitor.session.conversation,
    });
    // Sent again (the page retried): the same delivery id, which the events table records once.
    await chats.send(visitor, { text: 'Hello', id }, accept);
    expect(accepted.at(-1)!.deliveryId).toBe(first.deliveryId);

    const again = await chats.open(key, visitor.session.token);
    expect(again.created).toBe(false);
    const { conversationId } = await chats.restart(again, 'Translator');
    expect(conversationId).not.toBe(visitor.session.conversation);
    const restarted = await chats.open(key, visitor.session.token);
    await chats.send(restarted, { text: 'Bonjour' }, accept);
    expect(accepted.at(-1)!.payload).toMatchObject({ conversationId, role: ROLES[1], restart: true });
    expect(accepted.at(-1)!.conversationKey).not.toBe(first.conversationKey);
    await chats.send(await chats.open(key, visitor.session.token), { text: 'Encore' }, accept);
    expect((accepted.at(-1)!.payload as WebChatMessage).restart).toBe(false);
    expect(await codeOf(chats.restart(restarted, 'Pirate'))).toBe('WEB_CHAT_INVALID');
    expect(await codeOf(chats.send(restarted, { text: '   ' }, accept))).toBe('WEB_CHAT_INVALID');
  });

  it("routes a message to its chat's flow only, and the run's web.reply reaches the visitor's conversation and transcript", async () => {
    const { key } = await deployChat('helpdesk-flow', { roles: ROLES });
    const visitor = await chats.open(key, undefined);
    const heard: unknown[] = [];
    const stop = await chats.listen(
      visitor,
      (update) => heard.push(JSON.parse(update)),
      () => undefined,
    );
    await chats.send(visitor, { text: 'Question' }, accept);
    const envelope = accepted.at(-1)!;
    const event = { id: 'ev-1', ...envelope, payload: envelope.payload };
    expect(await adapter.route(event)).toEqual({ owners: [alice], targets: ['helpdesk'], events: ['message'], flows: [flowId] });
    const binding = await adapter.bindRun(alice, event);
    expect(binding.context).toMatchObject({
      account: 'helpdesk',
      chatId: visitor.session.conversation,
      sender: { id: visitor.session.visitor },
      role: ROLES[0],
    });
    expect(binding.isEffect?.('web.reply', [])).toBe(false);
    await binding.capabilities['web.reply']([{ delta: 'Hel' }]);
    await binding.capabilities['web.reply']([{ delta: 'lo' }]);
    await binding.capabilities['web.reply']([{ done: true }]);
    await binding.capabilities['web.replyImage'](['https://example.com/a.png', { alt: 'a' }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stop();
    expect(heard).toEqual([
      { type: 'message', id: expect.any(String), text: 'Question', role: 'Assistant' },
      { type: 'delta', reply: 'ev-1:1', text: 'Hel', start: true },
      { type: 'delta', reply: 'ev-1:1', text: 'lo' },
      { type: 'done', reply: 'ev-1:1' },
      { type: 'image', reply: 'ev-1:2', url: 'https://example.com/a.png', alt: 'a' },
    ]);
    // The run's end is told to the page; a failed attempt that will be retried is not.
    const ended: unknown[] = [];
    let closed = 0;
    const unlisten = await chats.listen(
      visitor,
      (update) => ended.push(JSON.parse(update)),
      () => (closed += 1),
    );
    expect(await adapter.completeRun(event, { runId: 'r1', ok: false, error: 'boom', willRetry: true })).toBe(false);
    expect(await adapter.completeRun(event, { runId: 'r1', ok: false, error: 'boom', willRetry: false })).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await unlisten();
    expect(ended).toEqual([{ type: 'end', message: (envelope.payload as WebChatMessage).messageId, failed: true }]);
    // At shutdown the open streams are closed first (the HTTP server could not stop while they are open).
    const stillOpen = await chats.listen(
      visitor,
      () => undefined,
      () => (closed += 1),
    );
    streams.beforeApplicationShutdown();
    expect(closed).toBe(1);
    await stillOpen();
    const { transcript } = await chats.state(visitor);
    expect(transcript.map((e) => ('text' in e ? e.text : e.url))).toEqual(['Question', 'Hello', 'https://example.com/a.png']);
    // Another owner's run gets nothing bound; a gone flow's message reaches nobody.
    expect(await codeOf((await adapter.bindRun('someone-else', event)).capabilities['web.reply']([{ delta: 'x' }]))).toBe('NOT_CONNECTED');
    expect(await adapter.route({ ...event, target: `00000000-0000-4000-8000-000000000000/helpdesk` })).toHaveProperty('dropped');
    expect(await codeOf(binding.capabilities['web.replyImage'](['javascript:alert(1)']))).toBe('INVALID_ARGUMENT');
  });

  it('keeps a locked chat closed until the password secret is given; wrong ones are counted and then blocked', async () => {
    const { key } = await deployChat('locked-flow', { password: 'chat-password' });
    const visitor = await chats.open(key, undefined);
    expect(await chats.state(visitor)).toMatchObject({ locked: true, transcript: [] });
    expect(await codeOf(chats.send(visitor, { text: 'hi' }, accept))).toBe('WEB_CHAT_LOCKED');
    // No such secret yet: closed for everyone, whatever they type.
    expect(await codeOf(chats.unlock(visitor, 'anything', '10.0.0.1'))).toBe('WEB_CHAT_CLOSED');
    await secrets.put(alice, 'chat-password', { value: 'first secret' });
    expect(await codeOf(chats.unlock(visitor, 'wrong', '10.0.0.1'))).toBe('WEB_CHAT_PASSWORD_WRONG');
    await chats.unlock(visitor, 'first secret', '10.0.0.1');
    expect((await chats.state(await chats.open(key, visitor.session.token))).locked).toBe(false);
    const cached = (await new WebChatsRepository(database.handle.db).findByKey(key, 'web'))!.chat;
    expect(cached.passwordHash).toMatch(/^\$argon2id\$/);
    expect(cached.passwordHash).not.toContain('first secret');

    // A new value of the secret is hashed again: the old password no longer opens the chat.
    await secrets.put(alice, 'chat-password', { value: 'second secret' });
    const other = await chats.open(key, undefined);
    expect(await codeOf(chats.unlock(other, 'first secret', '10.0.0.2'))).toBe('WEB_CHAT_PASSWORD_WRONG');
    for (let i = 0; i < 4; i++) expect(await codeOf(chats.unlock(other, `guess ${i}`, '10.0.0.2'))).toBe('WEB_CHAT_PASSWORD_WRONG');
    expect(await codeOf(chats.unlock(other, 'second secret', '10.0.0.2'))).toBe('RATE_LIMITED');
    // Another address is not blocked by those guesses.
    await chats.unlock(await chats.open(key, undefined), 'second secret', '10.0.0.3');
  });

  it("transcribes a voice message with the flow's key through audio/transcriptions", async () => {
    const { key } = await deployChat('helpdesk-flow', { roles: ROLES, transcriptionKey: 'openai' });
    llm.transcript((upload) => `heard ${upload.file?.name} with ${upload.fields.model}`);
    const visitor = await chats.open(key, undefined);
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(64)]);
    expect(await chats.transcribe(visitor, webm, 'webm')).toEqual({ text: 'heard voice.webm with whisper-1' });
    const upload = llm.requests.at(-1)!;
    expect(upload.headers.authorization).toBe('Bearer sk-test-0123456789abcdef');
    expect(upload.upload!.file!.bytes.equals(webm)).toBe(true);
    // Bytes that are no WebM: the endpoint refuses them, and so does the platform.
    expect(await codeOf(chats.transcribe(visitor, Buffer.from('not audio'), 'webm'))).toBe('WEB_CHAT_TRANSCRIPTION_FAILED');
    // Counted as the flow's LLM use; past the flow's monthly budget the microphone is closed.
    const { id: transcribing } = await deployChat('helpdesk-flow', { roles: ROLES, transcriptionKey: 'openai' });
    expect((await usage.days(transcribing, 1))[0]).toMatchObject({ calls: 1 });
    await usage.record(transcribing, { promptTokens: 10, completionTokens: 0, costUsd: 0 });
    await usage.setBudget(transcribing, 10);
    expect(await codeOf(chats.transcribe(visitor, webm, 'webm'))).toBe('WEB_CHAT_CLOSED');
    await usage.setBudget(transcribing, undefined);
    const { key: silent } = await deployChat('silent-flow', {});
    expect(await codeOf(chats.transcribe(await chats.open(silent, undefined), webm, 'webm'))).toBe('WEB_CHAT_INVALID');
  });

  it('refuses more messages than the limit from one address to one chat in a minute', async () => {
    const { key } = await deployChat('busy-flow', {});
    const visitor = await chats.open(key, undefined, '10.0.0.9');
    for (let i = 0; i < MESSAGES_PER_MINUTE; i++) await chats.send(visitor, { text: `message ${i}` }, accept);
    expect(await codeOf(chats.send(visitor, { text: 'one too many' }, accept))).toBe('RATE_LIMITED');
    // A new session from the same address counts with it; another address does not.
    expect(await codeOf(chats.send(await chats.open(key, undefined, '10.0.0.9'), { text: 'again' }, accept))).toBe('RATE_LIMITED');
    await chats.send(await chats.open(key, undefined, '10.0.0.10'), { text: 'hello' }, accept);
  });

  it('closes the chat of a paused or undeployed flow', async () => {
    const { key } = await deployChat('pausing-flow', {});
    await flows.setPaused(alice, 'pausing-flow', true);
    expect(await codeOf(chats.open(key, undefined))).toBe('WEB_CHAT_CLOSED');
    await flows.setPaused(alice, 'pausing-flow', false);
    await chats.open(key, undefined);
    await flows.undeploy(alice, 'pausing-flow');
    expect(await codeOf(chats.open(key, undefined))).toBe('WEB_CHAT_CLOSED');
  });
});
