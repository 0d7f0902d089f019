import { MalformedSlackRequestError, isRoutable, parseSlackCommand, parseSlackRequest, routedNames, slackCommandOf } from './envelope';

/** An `event_callback` as Slack documents it (Events API envelope), with the inner event overridden. */
function callback(event: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return {
    token: 'XXYYZZ',
    team_id: 'T0ACME',
    api_app_id: 'A0APP',
    type: 'event_callback',
    event_id: 'Ev0001',
    event_time: 1_700_000_000,
    authorizations: [{ team_id: 'T0ACME', user_id: 'U0BOT', is_bot: true }],
    event: { type: 'message', channel: 'C0GENERAL', user: 'U0ALICE', text: 'hi', ts: '1700000000.000100', ...event },
    ...overrides,
  };
}

describe('parseSlackRequest', () => {
  it('answers url_verification with its challenge', () => {
    expect(parseSlackRequest({ token: 't', challenge: 'c-123', type: 'url_verification' })).toEqual({
      kind: 'url_verification',
      challenge: 'c-123',
    });
  });

  it('converts a channel message into an envelope keyed by team and channel', () => {
    const body = callback({});
    expect(parseSlackRequest(body)).toEqual({
      kind: 'event',
      envelope: {
        provider: 'slack',
        deliveryId: 'Ev0001',
        name: 'message',
        action: undefined,
        target: 't0acme/c0general',
        // The thread an answer under it starts: its replies run after it.
        conversationKey: 't0acme/c0general/1700000000.000100',
        payload: body,
      },
    });
  });

  it('keys a threaded message by its thread and carries the subtype as action', () => {
    const result = parseSlackRequest(callback({ thread_ts: '1699999999.000001', subtype: 'thread_broadcast' }));
    expect(result).toMatchObject({
      envelope: { action: 'thread_broadcast', conversationKey: 't0acme/c0general/1699999999.000001' },
    });
  });

  it('keys other channel events by their channel', () => {
    expect(parseSlackRequest(callback({ subtype: 'channel_join' }))).toMatchObject({ envelope: { conversationKey: 't0acme/c0general' } });
    expect(parseSlackRequest(callback({ type: 'member_joined_channel' }))).toMatchObject({
      envelope: { conversationKey: 't0acme/c0general' },
    });
  });

  it('reads the channel of a reaction from its item', () => {
    const result = parseSlackRequest(callback({ type: 'reaction_added', channel: undefined, item: { type: 'message', channel: 'C0X' } }));
    expect(result).toMatchObject({ envelope: { name: 'reaction_added', target: 't0acme/c0x' } });
  });

  it('gives app-level events no target', () => {
    const result = parseSlackRequest(callback({ type: 'app_uninstalled', channel: undefined }));
    expect(result).toMatchObject({
      envelope: { name: 'app_uninstalled', target: undefined, conversationKey: 't0acme:app:app_uninstalled' },
    });
  });

  it('acknowledges other request types without routing them', () => {
    expect(parseSlackRequest({ type: 'app_rate_limited', team_id: 'T0ACME' })).toEqual({ kind: 'other', type: 'app_rate_limited' });
  });

  it.each([
    ['not an object', []],
    ['no event_id', callback({}, { event_id: undefined })],
    ['no team_id', callback({}, { team_id: '' })],
    ['no event type', callback({ type: undefined })],
    ['a url_verification without challenge', { type: 'url_verification' }],
  ])('throws MalformedSlackRequestError for %s', (_what, body) => {
    expect(() => parseSlackRequest(body)).toThrow(MalformedSlackRequestError);
  });
});

describe('parseSlackCommand', () => {
  /** The form body of Slack's slash command example ("Implementing slash commands"), our ids put in. */
  const body = (overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      token: 'gIkuvaNzQIHg97ATvDxqgjtO',
      team_id: 'T0ACME',
      team_domain: 'acme',
      channel_id: 'C0GENERAL',
      channel_name: 'general',
      user_id: 'U0ALICE',
      user_name: 'alice',
      command: '/Restart',
      text: 'now please',
      response_url: 'https://hooks.slack.com/commands/1234/5678',
      trigger_id: '13345224609.738474920.8088930838d88f008e0',
      api_app_id: 'A0APP',
      ...overrides,
    }).toString();

  it('converts a command into an envelope named by the command, keyed by its channel, delivered once per trigger_id', () => {
    const envelope = parseSlackCommand(body());
    expect(envelope).toEqual({
      provider: 'slack',
      deliveryId: '13345224609.738474920.8088930838d88f008e0',
      name: 'restart',
      target: 't0acme/c0general',
      conversationKey: 't0acme/c0general',
      payload: expect.objectContaining({ command: '/Restart', text: 'now please', user_id: 'U0ALICE' }),
    });
    expect(slackCommandOf(envelope.payload)).toMatchObject({ channel_id: 'C0GENERAL' });
    expect(slackCommandOf(parseSlackRequest({ type: 'event_callback', team_id: 'T', event_id: 'E', event: { type: 'message' } }))).toBe(
      undefined,
    );
  });

  it.each([
    ['no command', { command: '' }],
    ['only a slash', { command: '/' }],
    ['no channel', { channel_id: '' }],
    ['no trigger_id', { trigger_id: '' }],
  ])('throws MalformedSlackRequestError for %s', (_what, overrides) => {
    expect(() => parseSlackCommand(body(overrides))).toThrow(MalformedSlackRequestError);
  });
});

describe('isRoutable', () => {
  const message = (fields: Record<string, unknown>) => ({ type: 'message', user: 'U0ALICE', ...fields });

  it.each([
    ['a new user message', message({})],
    ['a file share', message({ subtype: 'file_share' })],
    ['a thread broadcast', message({ subtype: 'thread_broadcast' })],
    ['a mention of the bot', { type: 'app_mention', user: 'U0ALICE' }],
    ['an event that is not a message', { type: 'reaction_added', user: 'U0BOT' }],
  ])('routes %s', (_what, event) => {
    expect(isRoutable(event, 'U0BOT')).toBe(true);
  });

  it.each([
    ['a message with a bot_id', message({ bot_id: 'B0OTHER' })],
    ['a bot_message', message({ subtype: 'bot_message', user: undefined })],
    ["the workspace bot's own message", message({ user: 'U0BOT' })],
    ['an edit', message({ subtype: 'message_changed' })],
    ['a deletion', message({ subtype: 'message_deleted' })],
    ['a join', message({ subtype: 'channel_join' })],
    ['a mention by a bot', { type: 'app_mention', user: 'U0X', bot_id: 'B0X' }],
  ])('drops %s', (_what, event) => {
    expect(isRoutable(event, 'U0BOT')).toBe(false);
  });
});

describe('routedNames', () => {
  const message = (fields: Record<string, unknown>) => ({ type: 'message', user: 'U0ALICE', ...fields });

  it.each([
    ['a new user message', message({}), ['message']],
    ['a file share', message({ subtype: 'file_share' }), ['message', 'message.file_share']],
    ['an edit', message({ subtype: 'message_changed', user: undefined, message: { user: 'U0ALICE' } }), ['message.message_changed']],
    ['a join', message({ subtype: 'channel_join' }), ['message.channel_join']],
    ['a reaction', { type: 'reaction_added', user: 'U0BOT' }, ['reaction_added']],
  ])('names %s', (_what, event, names) => {
    expect(routedNames(event, 'U0BOT')).toEqual(names);
  });

  it.each([
    ['a bot message', message({ bot_id: 'B0X' })],
    ["an edit of our bot's message", message({ subtype: 'message_changed', user: undefined, message: { user: 'U0BOT' } })],
    ["an edit of another bot's message", message({ subtype: 'message_changed', user: undefined, message: { bot_id: 'B0X' } })],
    ['a deleted bot message', message({ subtype: 'message_deleted', user: undefined, previous_message: { bot_id: 'B0X' } })],
  ])('drops %s for every flow', (_what, event) => {
    expect(routedNames(event, 'U0BOT')).toBeUndefined();
  });
});
