import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { slashCommand } from '@openflows/test-support/discord-interactions';
import { startDiscordStandIn, type DiscordStandIn, type StandInApp } from '@openflows/test-support/discord-stand-in';
import { discordCapabilities, restRoute } from './discord-capabilities';
import { createDiscordRest } from './discord-rest';

describe('restRoute', () => {
  it.each([
    '/channels/123/messages',
    '/users/@me',
    '/webhooks/1/tok-en_1/messages/@original',
    '/channels/1/messages/2/reactions/%F0%9F%94%A5/@me',
    '/a:b',
  ])('takes %s', (route) => expect(restRoute(route)).toBe(route));

  it.each([
    'channels/1',
    '/',
    '/channels/../oauth2',
    '/channels/./1',
    '/channels/%2e%2e/x',
    '/a%2Fb',
    'https://evil.test/x',
    '//evil.test/x',
    '/a?b=1',
    '/a b',
    42,
  ])('refuses %s with INVALID_ARGUMENT', (route) => {
    expect(() => restRoute(route)).toThrow(SdkError);
    expect(() => restRoute(route)).toThrow(/route/);
  });
});

describe('discordCapabilities against the Discord stand-in', () => {
  let discord: DiscordStandIn;
  let app: StandInApp;
  let endpoint: Server;
  let config: Pick<AppConfig, 'discord'>;

  beforeAll(async () => {
    discord = await startDiscordStandIn();
    app = discord.addApp({ name: 'OpenFlows Bot' });
    config = { discord: { apiUrl: discord.url, gateway: false } };
    // The application's endpoint as Discord reaches it, acknowledging every interaction with a deferred answer.
    endpoint = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":5}'));
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    discord.setInteractionsEndpoint(app.id, `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/`);
  });

  afterAll(async () => {
    await discord.close();
    await new Promise((resolve) => endpoint.close(resolve));
  });

  const capabilities = (interaction?: ReturnType<typeof slashCommand>) =>
    discordCapabilities({
      rest: createDiscordRest(config, app.botToken),
      interaction: interaction && { applicationId: app.id, token: interaction.token, chatId: interaction.channel_id },
    });

  it("answers the run's interaction: the deferred message first, then follow-ups", async () => {
    const interaction = slashCommand('ask', { question: 'hi' }, { applicationId: app.id });
    await discord.interact(app.id, interaction);
    const send = capabilities(interaction)['discord.sendMessage'];
    const first = (await send([interaction.channel_id, 'part 1', {}])) as { messageId: string };
    const second = (await send([interaction.channel_id, 'part 2', {}])) as { messageId: string };
    expect(discord.messages.filter((m) => m.interactionId === interaction.id)).toEqual([
      expect.objectContaining({ id: first.messageId, via: 'original', content: 'part 1', channelId: interaction.channel_id }),
      expect.objectContaining({ id: second.messageId, via: 'followup', content: 'part 2' }),
    ]);
    // Interaction webhooks are called without the bot token.
    expect(discord.calls.filter((c) => c.path.startsWith('/webhooks/')).map((c) => c.authorization)).toEqual([undefined, undefined]);
  });

  it('on a retry, adds to an answer an earlier attempt filled in instead of replacing it, and keeps one it left unjournaled', async () => {
    const retry = { marker: 'openflows:run:1', retry: true, since: new Date().toISOString() };
    const interaction = slashCommand('ask', { question: 'hi' }, { applicationId: app.id });
    await discord.interact(app.id, interaction);
    const chat = interaction.channel_id;
    const first = (await capabilities(interaction)['discord.sendMessage']([chat, 'part 1', {}])) as { messageId: string };
    // A retry whose journal missed part 1 (the attempt stopped right after sending it) sends it again: the same message answers.
    const missed = capabilities(interaction)['discord.sendMessage'];
    expect(await missed([chat, 'part 1', {}], retry)).toEqual(first);
    // A retry whose journal replays part 1 goes on with part 2: a follow-up, the answer stays.
    await capabilities(interaction)['discord.sendMessage']([chat, 'part 2', {}], retry);
    expect(discord.messages.filter((m) => m.interactionId === interaction.id).map((m) => [m.via, m.content])).toEqual([
      ['original', 'part 1'],
      ['followup', 'part 2'],
    ]);
  });

  it('on a retry, fills in an answer still thinking', async () => {
    const interaction = slashCommand('ask', { question: 'hi' }, { applicationId: app.id });
    await discord.interact(app.id, interaction);
    await capabilities(interaction)['discord.sendMessage']([interaction.channel_id, 'at last', {}], {
      marker: 'm',
      retry: true,
      since: '',
    });
    expect(discord.messages.filter((m) => m.interactionId === interaction.id).map((m) => [m.via, m.content])).toEqual([
      ['original', 'at last'],
    ]);
  });

  it('posts to a channel as the bot elsewhere, as a reply with replyTo, in a thread with threadId', async () => {
    const send = capabilities()['discord.sendMessage'];
    const posted = (await send(['645027906669510667', 'hello', { replyTo: '786008729715212338', threadId: '1100000000000000001' }])) as {
      messageId: string;
    };
    expect(discord.messages.at(-1)).toMatchObject({
      id: posted.messageId,
      via: 'channel',
      channelId: '1100000000000000001',
      replyTo: '786008729715212338',
    });
    expect(discord.calls.at(-1)!.authorization).toBe(`Bot ${app.botToken}`);
  });

  it("turns Discord's refusal into REQUEST_FAILED with its status and error body", async () => {
    const send = capabilities()['discord.sendMessage'];
    const error = (await send(['645027906669510667', 'x'.repeat(4001), {}]).catch((e: unknown) => e)) as SdkError;
    expect(error).toBeInstanceOf(SdkError);
    expect(error).toMatchObject({ code: 'REQUEST_FAILED', status: 400, data: { code: 50035, message: 'Invalid Form Body' } });
  });

  it('refuses a chat id that is not a snowflake before calling Discord', async () => {
    const calls = discord.calls.length;
    await expect(capabilities()['discord.sendMessage'](['../users/@me', 'hi', {}])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(discord.calls).toHaveLength(calls);
  });

  it('calls any route as the bot through the client, with a body and a query', async () => {
    const client = capabilities()['discord.client'];
    expect(await client(['get', ['/users/@me']])).toMatchObject({ id: app.bot.id, bot: true });
    await client(['post', ['/channels/645027906669510667/messages', { body: { content: 'via client' }, query: { wait: true } }]]);
    expect(discord.messages.at(-1)).toMatchObject({ via: 'channel', content: 'via client' });
    await expect(client(['head', ['/users/@me']])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client(['get', ['/users/../applications/@me']])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
