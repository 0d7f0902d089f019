import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatContext, chatTargets, isOwnMessage, messageEnvelope, readCallback, type LarkEventBody } from './envelope';

/** The Feishu docs' sample im.message.receive_v1 body (test/fixtures/lark/README.md). */
const sample = () =>
  JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/lark/im.message.receive_v1.json'), 'utf8')) as LarkEventBody & {
    event: { message: Record<string, unknown>; sender: Record<string, any> };
  };

describe('readCallback', () => {
  test('reads the url_verification request with its challenge and token', () => {
    expect(readCallback({ challenge: 'ajls384kdjx98XX', token: 'xxxxxx', type: 'url_verification' })).toEqual({
      kind: 'url_verification',
      challenge: 'ajls384kdjx98XX',
      token: 'xxxxxx',
    });
  });

  test('reads a schema 2.0 event with its type, app and token from the header', () => {
    const body = sample();
    expect(readCallback(body)).toEqual({
      kind: 'event',
      type: 'im.message.receive_v1',
      appId: 'cli_9f5343c580712544',
      token: 'rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV',
      body,
    });
  });

  test('takes a schema 1.0 event as other, with its top-level token', () => {
    expect(
      readCallback({ ts: '1502199207.7171419', uuid: 'bc447199585340d1f3728d26b1c0297a', token: 't', type: 'event_callback', event: {} }),
    ).toEqual({
      kind: 'other',
      token: 't',
    });
  });

  test.each([
    ['an array', []],
    ['a string', 'hello'],
    ['a challenge without its value', { type: 'url_verification', token: 't' }],
    ['a 2.0 event without event_type', { schema: '2.0', header: { event_id: 'e' }, event: {} }],
    ['a 2.0 event without header', { schema: '2.0', event: {} }],
  ])('refuses %s with DELIVERY_MALFORMED', (_what, body) => {
    expect(() => readCallback(body)).toThrow(expect.objectContaining({ code: 'DELIVERY_MALFORMED', status: 400 }));
  });
});

describe('messageEnvelope', () => {
  test("makes the docs' sample a message event of its chat, in the reply chain of its root_id, without the token", () => {
    const envelope = messageEnvelope(sample());
    expect(envelope).toMatchObject({
      provider: 'lark',
      deliveryId: '5e3702a84e847582be8db7fb73283c02',
      name: 'message',
      action: 'text',
      target: 'cli_9f5343c580712544/oc_5ce6d572455d361153b7xx51da133945',
      conversationKey: 'cli_9f5343c580712544/oc_5ce6d572455d361153b7xx51da133945/om_5ce6d572455d361153b7cb5xxfsdfsdfdsf',
    });
    const payload = envelope.payload as LarkEventBody;
    expect(payload.header).not.toHaveProperty('token');
    expect(payload.header.event_id).toBe('5e3702a84e847582be8db7fb73283c02');
    expect(payload.event).toEqual(sample().event);
    expect(JSON.stringify(payload)).not.toContain('rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV');
  });

  test("a thread's thread_id wins over root_id; a message at the chat's top level is the chat's conversation", () => {
    const threaded = sample();
    threaded.event.message.thread_id = 'omt_1a2b';
    expect(messageEnvelope(threaded).conversationKey).toBe('cli_9f5343c580712544/oc_5ce6d572455d361153b7xx51da133945/omt_1a2b');
    const top = sample();
    delete top.event.message.root_id;
    delete top.event.message.parent_id;
    expect(messageEnvelope(top).conversationKey).toBe('cli_9f5343c580712544/oc_5ce6d572455d361153b7xx51da133945');
  });

  test.each(['chat_id', 'message_id'])('refuses a message without %s', (field) => {
    const body = sample();
    delete body.event.message[field];
    expect(() => messageEnvelope(body)).toThrow(expect.objectContaining({ code: 'DELIVERY_MALFORMED' }));
  });
});

describe('routing helpers', () => {
  test('chatTargets names the chat under app id and bot name, and as *, lower-cased', () => {
    expect(chatTargets('cli_A1', 'Helper Bot', 'oc_B2')).toEqual(['cli_a1/oc_b2', 'cli_a1/*', 'helper bot/oc_b2', 'helper bot/*']);
  });

  test("isOwnMessage: the bot's open id, or an app without one; users and other apps are not", () => {
    const event = sample().event;
    expect(isOwnMessage(event, 'ou_bot')).toBe(false);
    expect(isOwnMessage({ sender: { sender_id: { open_id: 'ou_bot' }, sender_type: 'app' } }, 'ou_bot')).toBe(true);
    expect(isOwnMessage({ sender: { sender_type: 'app' } }, 'ou_bot')).toBe(true);
    expect(isOwnMessage({ sender: { sender_id: { open_id: 'ou_other_bot' }, sender_type: 'app' } }, 'ou_bot')).toBe(false);
  });

  test('chatContext gives account, chat, thread, message and sender', () => {
    expect(chatContext(sample().event, 'Helper')).toEqual({
      account: 'Helper',
      chatId: 'oc_5ce6d572455d361153b7xx51da133945',
      threadId: 'om_5ce6d572455d361153b7cb5xxfsdfsdfdsf',
      messageId: 'om_5ce6d572455d361153b7cb51da133945',
      sender: { id: 'ou_84aad35d084aa403a838cf73ee18467', isBot: false },
    });
  });
});
