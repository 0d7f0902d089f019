import { FORUM_CHAT, exampleUpdate, textUpdate } from '@openflows/test-support/telegram-updates';
import { MalformedTelegramUpdateError, chatContextOf, droppedSender, parseTelegramUpdate, type TelegramUpdate } from './envelope';

const BOT_ID = '7000001';

describe('parseTelegramUpdate', () => {
  it("turns the published text message into a message event of the bot's private chat", () => {
    const body = exampleUpdate('message-text');
    expect(parseTelegramUpdate(BOT_ID, body)).toEqual({
      kind: 'event',
      envelope: {
        provider: 'telegram',
        deliveryId: '7000001:10000',
        name: 'message',
        target: '7000001/1111111',
        conversationKey: '7000001/1111111',
        payload: body,
      },
    });
  });

  it.each(['message-reply', 'message-entities', 'message-voice', 'message-audio', 'message-document'] as const)(
    'reads the published %s sample as a message of chat 1111111',
    (name) => {
      const parsed = parseTelegramUpdate(BOT_ID, exampleUpdate(name));
      expect(parsed).toMatchObject({ kind: 'event', envelope: { name: 'message', target: '7000001/1111111' } });
    },
  );

  it('names an edit edited_message', () => {
    expect(parseTelegramUpdate(BOT_ID, exampleUpdate('edited-message'))).toMatchObject({
      kind: 'event',
      envelope: { name: 'edited_message', deliveryId: '7000001:10000', target: '7000001/1111111' },
    });
  });

  it('keys a forum topic message by chat and topic; a reply thread of a plain group stays in the chat', () => {
    const topic = textUpdate('in a topic', { chat: FORUM_CHAT, topic: 42, updateId: 7 });
    expect(parseTelegramUpdate(BOT_ID, topic)).toMatchObject({
      kind: 'event',
      envelope: { deliveryId: '7000001:7', target: '7000001/-1001234567890', conversationKey: '7000001/-1001234567890/42' },
    });
    const reply = textUpdate('a reply', { chat: { ...FORUM_CHAT, is_forum: false } });
    reply.message.message_thread_id = 40;
    expect(parseTelegramUpdate(BOT_ID, reply)).toMatchObject({ envelope: { conversationKey: '7000001/-1001234567890' } });
  });

  it("keys a callback query by the chat of the bot's message with the button", () => {
    const body = {
      update_id: 10001,
      callback_query: {
        id: '4382bfdwdsb323b2d9',
        from: { id: 1111111, is_bot: false, first_name: 'Test Firstname' },
        message: { message_id: 77, date: 1441645532, chat: FORUM_CHAT, message_thread_id: 42, is_topic_message: true, text: 'pick one' },
        chat_instance: '-7035522004553926240',
        data: 'yes',
      },
    };
    expect(parseTelegramUpdate(BOT_ID, body)).toMatchObject({
      kind: 'event',
      envelope: { name: 'callback_query', target: '7000001/-1001234567890', conversationKey: '7000001/-1001234567890/42' },
    });
  });

  it('acknowledges, without an event, the published callback query of an inline-mode message (no chat) and other update kinds', () => {
    expect(parseTelegramUpdate(BOT_ID, exampleUpdate('callback-query'))).toEqual({
      kind: 'ignored',
      reason: 'callback_query of an inline-mode message has no chat',
    });
    expect(parseTelegramUpdate(BOT_ID, exampleUpdate('inline-query'))).toEqual({
      kind: 'ignored',
      reason: 'update kind inline_query is not delivered to flows',
    });
  });

  it.each([
    ['not an object', []],
    ['no update_id', { message: exampleUpdate('message-text').message }],
    ['a string update_id', { ...exampleUpdate('message-text'), update_id: '10000' }],
    ['a message without chat', { update_id: 1, message: { message_id: 1, date: 1, text: 'x' } }],
  ])('refuses %s with DELIVERY_MALFORMED', (_what, body) => {
    expect(() => parseTelegramUpdate(BOT_ID, body)).toThrow(MalformedTelegramUpdateError);
    try {
      parseTelegramUpdate(BOT_ID, body);
    } catch (error) {
      expect((error as MalformedTelegramUpdateError).code).toBe('DELIVERY_MALFORMED');
    }
  });
});

describe('droppedSender', () => {
  const bot = { id: 7000001, is_bot: true, first_name: 'OpenFlows', username: 'openflows_test_bot' };

  it('passes a person, drops the bot itself and other bots', () => {
    expect(droppedSender(textUpdate('hi') as TelegramUpdate, BOT_ID)).toBeUndefined();
    expect(droppedSender(textUpdate('echo', { from: bot }) as TelegramUpdate, BOT_ID)).toBe('a message of the bot itself');
    const other = { id: 7000002, is_bot: true, first_name: 'Other', username: 'other_bot' };
    expect(droppedSender(textUpdate('beep', { from: other }) as TelegramUpdate, BOT_ID)).toBe('a message of another bot');
  });

  it("passes an anonymous admin's message (a placeholder bot in from, the group in sender_chat)", () => {
    const update = textUpdate('from the admins', { chat: FORUM_CHAT, from: { id: 1087968824, is_bot: true, first_name: 'Group' } });
    update.message.sender_chat = FORUM_CHAT;
    expect(droppedSender(update as TelegramUpdate, BOT_ID)).toBeUndefined();
  });

  it("judges a callback query by who pressed the button, not by the bot's message", () => {
    const update = {
      update_id: 3,
      callback_query: {
        id: 'q',
        from: { id: 1111111, is_bot: false, first_name: 'Test Firstname' },
        message: { message_id: 9, date: 1, chat: { id: 1111111, type: 'private' }, from: bot, text: 'pick' },
        chat_instance: '1',
        data: 'a',
      },
    };
    expect(droppedSender(update as TelegramUpdate, BOT_ID)).toBeUndefined();
  });
});

describe('chatContextOf', () => {
  it('gives the chat, topic, message and sender of a topic message', () => {
    const update = textUpdate('hello', { chat: FORUM_CHAT, topic: 42, messageId: 501 }) as TelegramUpdate;
    expect(chatContextOf(update, 'openflows_test_bot')).toEqual({
      account: 'openflows_test_bot',
      chatId: '-1001234567890',
      threadId: '42',
      messageId: '501',
      sender: { id: '1111111', name: 'Test Firstname Test Lastname', isBot: false },
    });
  });

  it('names the chat a message was sent on behalf of as its sender', () => {
    const update = textUpdate('from the admins', { chat: FORUM_CHAT, from: { id: 1087968824, is_bot: true, first_name: 'Group' } });
    update.message.sender_chat = FORUM_CHAT;
    expect(chatContextOf(update as TelegramUpdate, 'bot').sender).toEqual({ id: '-1001234567890', name: 'OpenFlows forum', isBot: false });
  });

  it('has no thread outside topics', () => {
    expect(chatContextOf(exampleUpdate('message-text') as TelegramUpdate, 'bot')).toEqual({
      account: 'bot',
      chatId: '1111111',
      messageId: '1365',
      sender: { id: '1111111', name: 'Test Firstname Test Lastname', isBot: false },
    });
  });
});
