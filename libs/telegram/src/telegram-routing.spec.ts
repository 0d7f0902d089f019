import type { RoutedEvent, StoredConnection } from '@openflows/common';
import { FORUM_CHAT, exampleUpdate, textUpdate } from '@openflows/test-support/telegram-updates';
import { parseTelegramUpdate } from './envelope';
import { routeTelegramEvent } from './telegram-routing';

const BOT_ID = '7000001';

/** A bot connection row as the connections table holds it. */
function bot(overrides: Partial<StoredConnection> = {}): StoredConnection {
  return {
    id: '5b0c1c8e-6f7a-4d47-9a51-0e6a4f1d2c3b',
    ownerId: 'owner-1',
    provider: 'telegram',
    kind: 'bot',
    externalId: BOT_ID,
    accountLogin: 'OpenFlows_Test_Bot',
    status: 'active',
    statusReason: null,
    botUserId: BOT_ID,
    credentials: 'v1.sealed',
    repositories: [],
    ...overrides,
  };
}

/** The stored event of an update as the ingress records it. */
function stored(update: object): RoutedEvent {
  const parsed = parseTelegramUpdate(BOT_ID, update);
  if (parsed.kind !== 'event') throw new Error('not an event');
  const { envelope } = parsed;
  return { id: 'e1', provider: 'telegram', name: envelope.name, deliveryId: envelope.deliveryId, target: envelope.target, payload: update };
}

describe('routeTelegramEvent', () => {
  it("reaches the bot's owner under the bot's id and username (lower-case), each with the chat and with *", () => {
    expect(routeTelegramEvent(stored(exampleUpdate('message-text')), bot())).toEqual({
      owners: ['owner-1'],
      targets: ['7000001/1111111', '7000001/*', 'openflows_test_bot/1111111', 'openflows_test_bot/*'],
      events: ['message'],
    });
  });

  it('matches edits and button presses under their own names', () => {
    expect(routeTelegramEvent(stored(exampleUpdate('edited-message')), bot())).toMatchObject({ events: ['edited_message'] });
    const press = {
      update_id: 4,
      callback_query: {
        id: 'q',
        from: { id: 1111111, is_bot: false, first_name: 'Test' },
        message: { message_id: 9, date: 1, chat: FORUM_CHAT, text: 'pick' },
        chat_instance: '1',
        data: 'a',
      },
    };
    expect(routeTelegramEvent(stored(press), bot())).toMatchObject({
      events: ['callback_query'],
      targets: expect.arrayContaining(['openflows_test_bot/-1001234567890']),
    });
  });

  it('drops the messages of the bot itself and of other bots', () => {
    const own = textUpdate('my own answer', { from: { id: 7000001, is_bot: true, first_name: 'OpenFlows' } });
    expect(routeTelegramEvent(stored(own), bot())).toEqual({ dropped: 'a message of the bot itself' });
    const other = textUpdate('beep', { from: { id: 42, is_bot: true, first_name: 'Other' } });
    expect(routeTelegramEvent(stored(other), bot())).toEqual({ dropped: 'a message of another bot' });
  });

  it('reaches nobody when the bot is not connected, not active or has no owner', () => {
    const event = stored(exampleUpdate('message-text'));
    const dropped = { dropped: 'Telegram bot 7000001 is not connected' };
    expect(routeTelegramEvent(event, undefined)).toEqual(dropped);
    expect(routeTelegramEvent(event, bot({ status: 'error', statusReason: 'webhook_failed' }))).toEqual(dropped);
    expect(routeTelegramEvent(event, bot({ ownerId: null }))).toEqual(dropped);
  });

  it('drops an event without a chat target', () => {
    expect(routeTelegramEvent({ ...stored(exampleUpdate('message-text')), target: null }, bot())).toEqual({ dropped: 'not a chat event' });
  });
});
