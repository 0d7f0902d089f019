import { channelMessage, ping, slashCommand } from '@openflows/test-support/discord-interactions';
import { chatContextOf, MalformedInteractionError, messageEnvelope, parseInteraction } from './envelope';

const APP = '775799577604522054';

describe('parseInteraction', () => {
  it('recognises a PING and an autocomplete request, which are answered, not queued', () => {
    expect(parseInteraction(ping(APP), APP)).toEqual({ kind: 'ping' });
    expect(parseInteraction({ ...slashCommand('ask'), type: 4 }, APP)).toEqual({ kind: 'autocomplete' });
  });

  it("makes Discord's example slash command an event named after the command, in its channel", () => {
    const interaction = slashCommand('ask', { question: 'What is a monorepo?' });
    expect(parseInteraction(interaction, APP)).toEqual({
      kind: 'event',
      envelope: {
        provider: 'discord',
        deliveryId: interaction.id,
        name: 'ask',
        target: `${APP}/645027906669510667`,
        conversationKey: `${APP}/645027906669510667`,
        payload: interaction,
      },
    });
  });

  it('puts a command in a thread under its parent channel, with the thread in the conversation key', () => {
    const interaction = slashCommand('ask', {}, { channelId: '645027906669510667', threadId: '1100000000000000001' });
    const parsed = parseInteraction(interaction, APP);
    expect(parsed).toMatchObject({
      envelope: { target: `${APP}/645027906669510667`, conversationKey: `${APP}/645027906669510667/1100000000000000001` },
    });
  });

  it('names component clicks and modal submissions after their interaction type', () => {
    const click = { ...slashCommand('x'), type: 3, data: { custom_id: 'retry', component_type: 2 } };
    const modal = { ...slashCommand('x'), type: 5, data: { custom_id: 'form', components: [] } };
    expect(parseInteraction(click, APP)).toMatchObject({ envelope: { name: 'message_component' } });
    expect(parseInteraction(modal, APP)).toMatchObject({ envelope: { name: 'modal_submit' } });
  });

  it.each([
    ['not an object', []],
    ['an unknown type', { ...slashCommand('ask'), type: 42 }],
    ['a command without a name', { ...slashCommand('ask'), data: {} }],
    ['no token', { ...slashCommand('ask'), token: undefined }],
    ['no channel', { ...slashCommand('ask'), channel_id: undefined, channel: undefined }],
    ["another application's interaction", slashCommand('ask', {}, { applicationId: '1234567890123456789' })],
  ])('refuses %s as DELIVERY_MALFORMED', (_what, body) => {
    expect(() => parseInteraction(body, APP)).toThrow(MalformedInteractionError);
  });
});

describe('messageEnvelope', () => {
  it("makes Discord's example message a `message` event, keyed by its id, in its channel or its thread's parent", () => {
    const message = channelMessage('Supa Hot', { channelId: '290926798999357250' });
    expect(messageEnvelope(APP, message)).toEqual({
      provider: 'discord',
      deliveryId: message.id,
      name: 'message',
      target: `${APP}/290926798999357250`,
      conversationKey: `${APP}/290926798999357250`,
      payload: message,
    });
    const inThread = channelMessage('in a thread', { threadId: '1100000000000000001' });
    expect(messageEnvelope(APP, inThread, '290926798999357250')).toMatchObject({
      target: `${APP}/290926798999357250`,
      conversationKey: `${APP}/290926798999357250/1100000000000000001`,
    });
  });
});

describe('chatContextOf', () => {
  it('gives the channel, thread, interaction id and invoking member of a command', () => {
    const interaction = slashCommand('ask', {}, { channelId: '645027906669510667', threadId: '1100000000000000001' });
    expect(chatContextOf('OpenFlows', `${APP}/645027906669510667`, interaction)).toEqual({
      account: 'OpenFlows',
      chatId: '645027906669510667',
      threadId: '1100000000000000001',
      messageId: interaction.id,
      sender: { id: '53908232506183680', name: 'Mason' },
    });
  });

  it('gives the author of a message, marked when it is a bot', () => {
    const message = channelMessage('beep', { channelId: '290926798999357250', user: { id: '42', username: 'otherbot', bot: true } });
    expect(chatContextOf('OpenFlows', `${APP}/290926798999357250`, message)).toEqual({
      account: 'OpenFlows',
      chatId: '290926798999357250',
      messageId: message.id,
      sender: { id: '42', name: 'otherbot', isBot: true },
    });
  });
});
