import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SdkError } from '@openflows/sdk';
import { startTelegramStandIn, type TelegramStandIn } from '@openflows/test-support/telegram-stand-in';
import { FORUM_CHAT, SAMPLE_USER_ID, textUpdate } from '@openflows/test-support/telegram-updates';
import { telegramApi } from './telegram-api';
import { telegramCapabilities } from './telegram-capabilities';

const BOT_ID = 7000001;

/** The SdkError a capability call rejects with. */
async function failure(call: Promise<unknown>): Promise<SdkError> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SdkError)) throw new Error(`expected an SdkError, got ${String(error)}`);
  return error;
}

describe('telegramCapabilities (grammY Api against the Bot API stand-in)', () => {
  let telegram: TelegramStandIn;
  let capabilities: ReturnType<typeof telegramCapabilities>;
  let token: string;
  /** Plays the bot's webhook: answers every update 200, as the platform does. */
  let webhook: Server;
  let webhookUrl: string;

  beforeAll(async () => {
    webhook = createServer((_req, res) => res.writeHead(200).end());
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhooks/telegram`;
    telegram = await startTelegramStandIn();
    token = telegram.addBot({ id: BOT_ID, username: 'openflows_test_bot' });
    const api = telegramApi({ telegram: { apiUrl: telegram.url } }, token);
    capabilities = telegramCapabilities(api);
    // Telegram lets a bot write only where it got an update from: the sample user's chat and a forum topic.
    await api.setWebhook(webhookUrl, { secret_token: 'spec-secret' });
    await telegram.deliver(textUpdate('hi', { messageId: 10 }));
    await telegram.deliver(textUpdate('hi topic', { chat: FORUM_CHAT, topic: 42, messageId: 20 }));
  });

  afterAll(async () => {
    await telegram.close();
    await new Promise((resolve) => webhook.close(resolve));
  });

  it('sendMessage sends into the topic as a reply, with the parse mode, and answers the new message id', async () => {
    const sent = await capabilities['telegram.sendMessage']([
      String(FORUM_CHAT.id),
      '<b>hello</b>',
      { replyTo: '20', threadId: '42', parseMode: 'HTML', disable_notification: true },
    ]);
    const message = telegram.messages.at(-1)!;
    expect(sent).toEqual({ messageId: String(message.messageId) });
    expect(message).toMatchObject({ chatId: FORUM_CHAT.id, text: '<b>hello</b>', threadId: 42, replyTo: 20, parseMode: 'HTML' });
    const call = telegram.calls.at(-1)!;
    expect(call).toMatchObject({ method: 'sendMessage', token });
    expect(call.params).toEqual({
      chat_id: String(FORUM_CHAT.id),
      text: '<b>hello</b>',
      disable_notification: true,
      reply_parameters: { message_id: 20 },
      message_thread_id: 42,
      parse_mode: 'HTML',
    });
  });

  it('sendMessage refuses ids that are not integers before calling Telegram', async () => {
    const calls = telegram.calls.length;
    const error = await failure(capabilities['telegram.sendMessage']([String(SAMPLE_USER_ID), 'x', { replyTo: 'abc' }]));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(telegram.calls).toHaveLength(calls);
  });

  it("sendMessage's refusal by Telegram is REQUEST_FAILED with Telegram's error code and body", async () => {
    const error = await failure(capabilities['telegram.sendMessage'](['999', 'to nowhere', {}]));
    expect(error).toMatchObject({
      code: 'REQUEST_FAILED',
      status: 400,
      data: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
    });
    expect(error.message).not.toContain(token);
  });

  it('client calls any Api method with the positional arguments and answers its result', async () => {
    const sent = (await capabilities['telegram.sendMessage']([String(SAMPLE_USER_ID), 'Typing ...', {}])) as { messageId: string };
    const edited = await capabilities['telegram.client']([
      'editMessageText',
      [String(SAMPLE_USER_ID), Number(sent.messageId), 'the answer'],
    ]);
    expect(edited).toMatchObject({ message_id: Number(sent.messageId), text: 'the answer', chat: { id: SAMPLE_USER_ID } });
    expect(telegram.messages.at(-1)).toMatchObject({ text: 'the answer', edits: ['the answer'] });
    expect(await capabilities['telegram.client'](['getMe', []])).toMatchObject({
      id: BOT_ID,
      is_bot: true,
      username: 'openflows_test_bot',
    });
  });

  it.each([['raw'], ['token'], ['constructor'], ['toString'], ['__proto__'], ['sendMessage.call']])(
    'client refuses %s, which is not an Api method, with INVALID_ARGUMENT',
    async (name) => {
      expect((await failure(capabilities['telegram.client']([name, []]))).code).toBe('INVALID_ARGUMENT');
    },
  );

  it.each([['setWebhook'], ['deleteWebhook'], ['getUpdates'], ['logOut'], ['close']])(
    "client refuses %s, which would take the bot's updates from the platform",
    async (name) => {
      const calls = telegram.calls.length;
      const error = await failure(capabilities['telegram.client']([name, ['https://elsewhere.example/hook']]));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(telegram.calls).toHaveLength(calls);
      expect(telegram.webhook(BOT_ID)?.url).toBe(webhookUrl);
    },
  );

  it("client's vendor errors are REQUEST_FAILED with status and data", async () => {
    const error = await failure(capabilities['telegram.client'](['editMessageText', [String(SAMPLE_USER_ID), 123456, 'x']]));
    expect(error).toMatchObject({ code: 'REQUEST_FAILED', status: 400, data: { description: 'Bad Request: message to edit not found' } });
  });

  it('client refuses arguments that are not a list', async () => {
    expect((await failure(capabilities['telegram.client'](['getMe', { not: 'a list' }]))).code).toBe('INVALID_ARGUMENT');
  });
});
