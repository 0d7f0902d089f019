/**
 * Discord end to end through the real api and worker processes on PostgreSQL and Redis: an
 * application connected through `POST /api/connections/discord` against the Discord stand-in, its
 * slash commands registered at deploy, interactions signed with the application's Ed25519 key as
 * Discord signs them posted to the Interactions Endpoint URL, and flows/discord-chat answering
 * through the OpenAI stand-in as the interactions' follow-ups.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { channelMessage, interactionKeys, ping, slashCommand, type Place } from '@openflows/test-support/discord-interactions';
import type { DiscordStandIn, StandInApp } from '@openflows/test-support/discord-stand-in';
import { Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const MASTER_KEY = randomBytes(32).toString('base64');
const GENERAL = '645027906669510667';
const THREAD = '1100000000000000001';
const GUILD = '290926798626357999';

jest.setTimeout(60_000);

let platform: Platform;
let discord: DiscordStandIn;
let app: StandInApp;
let connectionId: string;

/** Discord events the api recorded (every delivery it accepted, queued or not yet). */
async function recordedEvents(): Promise<{ id: string; delivery_id: string; name: string }[]> {
  const db = new Client({ connectionString: platform.databaseUrl });
  await db.connect();
  try {
    return (
      await db.query<{ id: string; delivery_id: string; name: string }>(
        "select id, delivery_id, name from events where provider = 'discord'",
      )
    ).rows;
  } finally {
    await db.end();
  }
}

/** The LLM's user turns of the last chat completion. */
const lastUserTurns = () =>
  platform.llm.requests
    .at(-1)!
    .body.messages.filter((m) => m.role === 'user')
    .map((m) => m.content);

/** Invokes `/<name>` in `place` and waits for the deferred answer to be filled in. */
async function command(name: string, options: Record<string, string> = {}, place: Place = {}) {
  const interaction = slashCommand(name, options, { applicationId: app.id, ...place });
  const res = await discord.interact(app.id, interaction);
  expect(res).toEqual({ status: 200, body: { type: 5 } });
  const answer = await waitFor(`the answer to /${name}`, () =>
    discord.messages.find((m) => m.interactionId === interaction.id && m.via === 'original'),
  );
  return { interaction, answer };
}

beforeAll(async () => {
  // Both processes take the Gateway role, so the lock decides which one holds the bot.
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { MASTER_KEY, DISCORD_GATEWAY: '1' } });
  discord = platform.discord;
  app = discord.addApp({ name: 'OpenFlows Bot' });
  app.guilds.push({
    id: GUILD,
    name: 'Acme',
    channels: [{ id: GENERAL, name: 'general' }],
    threads: [{ id: THREAD, name: 'a thread', parentId: GENERAL }],
  });
  await platform.putLlmKey('openai');
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

describe('connecting an application', () => {
  test.each([
    ['no application id', () => ({ publicKey: app.publicKey, botToken: app.botToken }), 'CONNECT_INVALID'],
    ['a public key that is not hex', () => ({ applicationId: app.id, publicKey: 'not-a-key', botToken: app.botToken }), 'CONNECT_INVALID'],
    [
      'a token Discord refuses',
      () => ({ applicationId: app.id, publicKey: app.publicKey, botToken: 'MTE.wrong.token' }),
      'CREDENTIALS_INVALID',
    ],
    [
      "another application's public key",
      () => ({ applicationId: app.id, publicKey: interactionKeys().publicKey, botToken: app.botToken }),
      'CREDENTIALS_INVALID',
    ],
    [
      'an application id the token is not for',
      () => ({ applicationId: '1234567890123456789', publicKey: app.publicKey, botToken: app.botToken }),
      'CREDENTIALS_INVALID',
    ],
  ])('refuses %s with 400 and stores nothing', async (_what, body, code) => {
    const res = await platform.request('POST', '/api/connections/discord', body());
    expect(res).toMatchObject({ status: 400, body: { code } });
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
  });

  test('checks the token with Discord, stores the application and answers the Interactions Endpoint URL; the token is in no answer or log', async () => {
    const res = await platform.request('POST', '/api/connections/discord', {
      applicationId: app.id,
      publicKey: app.publicKey,
      botToken: app.botToken,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      provider: 'discord',
      kind: 'app',
      externalId: app.id,
      account: 'OpenFlows Bot',
      botUserId: app.bot.id,
      status: 'active',
      webhookUrl: expect.stringMatching(new RegExp(`/webhooks/discord/${res.body.id}$`)),
    });
    connectionId = res.body.id;
    expect(discord.calls.filter((c) => c.path === '/applications/@me').at(-1)!.authorization).toBe(`Bot ${app.botToken}`);
    const listed = await platform.request('GET', '/api/connections');
    expect(listed.body[0].details).toContain(`Interactions Endpoint URL: ${res.body.webhookUrl}`);
    for (const text of [JSON.stringify(res.body), JSON.stringify(listed.body), platform.output()]) expect(text).not.toContain(app.botToken);
    // Pasted into the Developer Portal, which PINGs it on saving.
    discord.setInteractionsEndpoint(app.id, `${platform.url}/webhooks/discord/${connectionId}`);
  });

  test('a PING is answered with PONG', async () => {
    expect(await discord.interact(app.id, ping(app.id))).toEqual({ status: 200, body: { type: 1 } });
  });
});

describe('slash commands', () => {
  test('deploying discord-chat registers /ask and /restart as the application commands', async () => {
    const deployed = await platform.deploy(join(ROOT, 'flows/discord-chat'), { app: 'OpenFlows Bot', openai_key_name: 'openai' });
    expect(deployed).toMatchObject({ name: 'discord-chat', status: 'running' });
    const put = discord.calls.filter((c) => c.method === 'PUT' && c.path === `/applications/${app.id}/commands`);
    expect(put).toHaveLength(1);
    expect(put[0].authorization).toBe(`Bot ${app.botToken}`);
    expect(discord.commands.get(app.id)!.map((c) => [c.name, c.description, c.options])).toEqual([
      ['ask', expect.any(String), [{ type: 3, name: 'question', description: 'Your question', required: true }]],
      ['restart', expect.any(String), undefined],
    ]);
  });

  test('/ask is deferred at once and answered by the model as its follow-up, with the channel as the conversation', async () => {
    const first = await command('ask', { question: 'What is a monorepo?' });
    expect(first.answer.content).toBe('> What is a monorepo?\necho: What is a monorepo?');
    expect(first.answer.channelId).toBe(GENERAL);
    expect(discord.interactions.find((i) => i.id === first.interaction.id)!.ms).toBeLessThan(3000);
    await command('ask', { question: 'And a polyrepo?' });
    expect(lastUserTurns()).toEqual(['What is a monorepo?', 'And a polyrepo?']);
    const runs = await platform.runs('discord-chat');
    expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(2);
  });

  test('a thread is its own conversation, and /restart starts the channel over', async () => {
    await command('ask', { question: 'in the thread' }, { channelId: GENERAL, threadId: THREAD });
    expect(lastUserTurns()).toEqual(['in the thread']);
    const { answer } = await command('restart');
    expect(answer.content).toBe('Ok, I am starting a new conversation.');
    await command('ask', { question: 'fresh start' });
    expect(lastUserTurns()).toEqual(['fresh start']);
  });

  test('the same interaction posted twice is acknowledged twice and answered once', async () => {
    const interaction = slashCommand('ask', { question: 'answer me once' }, { applicationId: app.id });
    expect(await discord.interact(app.id, interaction)).toEqual({ status: 200, body: { type: 5 } });
    expect(await discord.interact(app.id, interaction)).toEqual({ status: 200, body: { type: 5 } });
    const recorded = (await recordedEvents()).filter((e) => e.delivery_id === interaction.id);
    expect(recorded).toHaveLength(1);
    const runs = await waitFor('the run to finish', async () => {
      const of = (await platform.runs('discord-chat')).filter((r) => r.eventId === recorded[0].id);
      return of.length > 0 && of.every((r) => r.status === 'succeeded') && of;
    });
    expect(runs).toHaveLength(1);
    expect(discord.messages.filter((m) => m.interactionId === interaction.id)).toHaveLength(1);
  });

  test.each([
    ['a signature of another key', { privateKey: interactionKeys().privateKey }],
    ['a timestamp six minutes old', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
    ['a body changed after signing', { body: JSON.stringify(slashCommand('ask', { question: 'changed' })) }],
  ])('an interaction with %s is refused with 401 and nothing is queued', async (_what, options) => {
    const before = (await recordedEvents()).length;
    const res = await discord.interact(app.id, slashCommand('ask', { question: 'forged' }, { applicationId: app.id }), options);
    expect(res.status).toBe(401);
    expect(['SIGNATURE_INVALID', 'TIMESTAMP_INVALID']).toContain(res.body.code);
    expect(await recordedEvents()).toHaveLength(before);
  });
});

describe('a command no flow answers', () => {
  test('is answered at once with a message only its user sees, and not queued', async () => {
    expect((await platform.request('POST', '/api/flows/discord-chat/pause')).status).toBe(200);
    const before = (await recordedEvents()).length;
    const res = await discord.interact(app.id, slashCommand('ask', { question: 'anyone?' }, { applicationId: app.id }));
    expect(res).toEqual({ status: 200, body: { type: 4, data: { content: 'No flow answers /ask here right now.', flags: 64 } } });
    expect(await recordedEvents()).toHaveLength(before);
    expect((await platform.request('POST', '/api/flows/discord-chat/resume')).status).toBe(200);
    await command('ask', { question: 'back again' });
  });
});

describe('channel messages through the Gateway', () => {
  const user = { id: '53908099506183680', username: 'Mason' };
  const repliesTo = (messageId: string) => discord.messages.filter((m) => m.via === 'channel' && m.replyTo === messageId);
  const openSessions = () => discord.gatewaySessions.filter((s) => s.appId === app.id && s.open);

  test('deploying a flow that listens to messages connects the bot once, with the message intents', async () => {
    expect(openSessions()).toEqual([]);
    await platform.deploy(join(ROOT, 'test/fixtures/flows/discord-messages'), { app: app.id, channel: GENERAL });
    const [session] = await waitFor('a Gateway session of the bot', () => openSessions().length > 0 && openSessions());
    // GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT
    expect(session.intents & (1 | (1 << 9) | (1 << 12) | (1 << 15))).toBe(1 | (1 << 9) | (1 << 12) | (1 << 15));
    // The api and the worker both have the role; the lock lets one of them hold the bot.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(openSessions()).toHaveLength(1);
  });

  test('a message in the channel is answered there, as a reply, and one in its thread in the thread', async () => {
    const message = channelMessage('hello there', { channelId: GENERAL, user });
    await waitFor('the message to be dispatched', () => discord.dispatchMessage(app.id, message) > 0);
    const [reply] = await waitFor('the reply', () => repliesTo(message.id).length > 0 && repliesTo(message.id));
    expect(reply).toMatchObject({ channelId: GENERAL, content: 'heard Mason: hello there' });
    const inThread = channelMessage('in the thread', { threadId: THREAD, user });
    discord.dispatchMessage(app.id, inThread);
    const [threadReply] = await waitFor('the reply in the thread', () => repliesTo(inThread.id).length > 0 && repliesTo(inThread.id));
    expect(threadReply).toMatchObject({ channelId: THREAD, content: 'heard Mason: in the thread' });
  });

  test("the bot's own messages are dropped, and a message dispatched twice is answered once", async () => {
    const own = channelMessage('my own answer', { channelId: GENERAL, user: { id: app.bot.id, username: app.bot.username, bot: true } });
    const twice = channelMessage('say it once', { channelId: GENERAL, user });
    discord.dispatchMessage(app.id, own);
    discord.dispatchMessage(app.id, twice);
    discord.dispatchMessage(app.id, twice);
    await waitFor('the reply', () => repliesTo(twice.id).length > 0);
    const recorded = (await recordedEvents()).map((e) => e.delivery_id);
    expect(recorded.filter((id) => id === twice.id)).toHaveLength(1);
    expect(recorded).not.toContain(own.id);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(repliesTo(twice.id)).toHaveLength(1);
    expect(repliesTo(own.id)).toEqual([]);
  });

  test("deleting the flow closes the bot's Gateway session", async () => {
    expect((await platform.request('DELETE', '/api/flows/discord-messages')).status).toBe(204);
    await waitFor('the session to close', () => openSessions().length === 0);
  });
});

describe('disconnecting', () => {
  test('removes the registered commands and the endpoint, and keeps the flow unregistered', async () => {
    expect((await platform.request('DELETE', `/api/connections/${connectionId}`)).status).toBe(204);
    expect(discord.commands.get(app.id)).toEqual([]);
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
    const res = await discord.interact(app.id, slashCommand('ask', { question: 'still there?' }, { applicationId: app.id }));
    expect(res).toMatchObject({ status: 404, body: { code: 'CONNECTION_NOT_FOUND' } });
    expect((await platform.request('GET', '/api/flows/discord-chat')).body).toMatchObject({ status: 'unregistered' });
  });
});
