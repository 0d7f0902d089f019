import type { SlackEventCallback, SlackInnerEvent } from './envelope';
import { slackCommandContextOf, slackContextOf } from './slack-context';

const workspace = { teamId: 'T0ACME', teamName: 'Acme', botUserId: 'U0BOT' };

/** An `event_callback` as Slack documents it (Events API envelope) around `event`. */
const callback = (event: Record<string, unknown>): SlackEventCallback => ({
  type: 'event_callback',
  team_id: 'T0ACME',
  event_id: 'Ev0001',
  event: { type: 'message', channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi', ts: '1700000000.000100', ...event } as SlackInnerEvent,
});

describe('slackContextOf', () => {
  it('names a top-level message by the thread an answer under it starts', () => {
    expect(slackContextOf(callback({}), workspace)).toEqual({
      teamId: 'T0ACME',
      teamName: 'Acme',
      botUserId: 'U0BOT',
      account: 'T0ACME',
      chatId: 'C0GENERAL',
      threadId: '1700000000.000100',
      messageId: '1700000000.000100',
      sender: { id: 'U0ALICE' },
    });
  });

  it('names a reply by its thread, and a mention like a message', () => {
    expect(slackContextOf(callback({ thread_ts: '1699999999.000001', ts: '1700000001.000200' }), workspace)).toMatchObject({
      threadId: '1699999999.000001',
      messageId: '1700000001.000200',
    });
    expect(slackContextOf(callback({ type: 'app_mention', text: '<@U0BOT> hi' }), workspace)).toMatchObject({
      chatId: 'C0GENERAL',
      threadId: '1700000000.000100',
    });
  });

  it('gives events that are no new message no thread, and marks bots', () => {
    const reaction = callback({ type: 'reaction_added', channel: undefined, ts: undefined, item: { channel: 'C0X' }, user: 'U0BOB' });
    expect(slackContextOf(reaction, workspace)).toMatchObject({ chatId: 'C0X', threadId: undefined, sender: { id: 'U0BOB' } });
    expect(slackContextOf(callback({ subtype: 'message_changed' }), workspace).threadId).toBeUndefined();
    expect(slackContextOf(callback({ bot_id: 'B0X' }), { ...workspace, botUserId: null })).toMatchObject({
      botUserId: undefined,
      sender: { id: 'U0ALICE', isBot: true },
    });
  });
});

describe('slackCommandContextOf', () => {
  it('names the channel and who typed the command, no thread', () => {
    const command = {
      command: '/restart',
      text: '',
      team_id: 'T0ACME',
      channel_id: 'C0GENERAL',
      user_id: 'U0ALICE',
      user_name: 'alice',
      trigger_id: '1.2.3',
    };
    expect(slackCommandContextOf(command, workspace)).toEqual({
      teamId: 'T0ACME',
      teamName: 'Acme',
      botUserId: 'U0BOT',
      account: 'T0ACME',
      chatId: 'C0GENERAL',
      sender: { id: 'U0ALICE', name: 'alice' },
    });
  });
});
