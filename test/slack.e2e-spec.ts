/**
 * Slack end to end through the real api and worker processes on PostgreSQL and Redis: the OAuth v2
 * install against the Slack stand-in, signed Events API requests, flows/slack-chat and
 * flows/slack-lawyer answering through the OpenAI stand-in and posting through the Slack stand-in.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE, parseMasterKey, signState, stateKey } from '@openflows/common';
import { Platform, REDIS_URL, SLACK_CLIENT_ID, SLACK_SIGNING_SECRET } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { channelMessage, eventCallback, eventId, signedSlackRequest, slashCommand } from '@openflows/test-support/slack-events';

const ROOT = join(__dirname, '..');
const TEAM = 'T0ACME';
const GENERAL = 'C0GENERAL';
const LEGAL = 'C0LEGAL';
const RANDOM = 'C0RANDOM';
const BOT = 'U0BOT';
const MASTER_KEY = randomBytes(32).toString('base64');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

jest.setTimeout(60_000);

let platform: Platform;
let events: Queue;

const repliesIn = (channel: string, threadTs: string) =>
  platform.slack.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs);

/** The role and text of each message of the last request to the model, system prompt left out. */
const sentMessages = () =>
  platform.llm.requests
    .at(-1)!
    .body.messages.filter((m) => m.role !== 'system')
    .map((m) => [m.role, m.content]);

/** Waits until the worker has routed the event (its job on the events queue completed). */
async function routed(id: string): Promise<void> {
  await waitFor(`event ${id} to be routed`, async () => (await events.getJob(id))?.isCompleted());
}

/** Waits for the flow's finished run of an event. */
async function runOf(flow: string, eventIdOfUs: string) {
  return waitFor(`a finished run of ${eventIdOfUs}`, async () => {
    const run = (await platform.runs(flow)).find((r) => r.eventId === eventIdOfUs);
    return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
  });
}

/** Sends a user message and waits for the flow's reply in its thread. */
async function converse(channel: string, text: string, fields: Record<string, unknown> = {}) {
  const message = channelMessage(channel, text, fields);
  const threadTs = (fields.thread_ts as string | undefined) ?? message.ts;
  // Counted before delivering: a fast reply must not be taken for the state before it.
  const before = repliesIn(channel, threadTs).length;
  const res = await platform.deliverSlack(eventCallback(TEAM, message));
  expect(res.status).toBe(200);
  const [reply] = await waitFor(
    `a reply to "${text}"`,
    () => repliesIn(channel, threadTs).length > before && repliesIn(channel, threadTs).slice(before),
  );
  return { reply, eventId: res.body.eventId as string, message };
}

/** Installs the app as a browser does: the authorize page (whose scopes Slack grants), then the callback. */
async function install(): Promise<Response> {
  const start = await fetch(`${platform.url}/connect/slack`, { redirect: 'manual' });
  const authorize = start.headers.get('location')!;
  expect((await fetch(authorize)).status).toBe(200);
  const state = new URL(authorize).searchParams.get('state')!;
  return fetch(`${platform.url}/connect/slack/callback?code=${platform.slack.issueCode(TEAM)}&state=${encodeURIComponent(state)}`);
}

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { MASTER_KEY } });
  events = new Queue(EVENTS_QUEUE, { connection: { url: REDIS_URL } as never, prefix: platform.prefix });
  platform.slack.addTeam({
    id: TEAM,
    name: 'Acme',
    botUserId: BOT,
    channels: [
      { id: GENERAL, name: 'general' },
      { id: LEGAL, name: 'legal' },
      { id: RANDOM, name: 'random' },
    ],
  });
  await platform.putLlmKey('openai');
  // Deployed before the workspace is connected, by names: resolved when events arrive.
  await platform.deploy(join(ROOT, 'flows/slack-chat'), { workspace: 'Acme', channel: '#general', openai_key_name: 'openai' });
  await platform.deploy(join(ROOT, 'flows/slack-lawyer'), { workspace: TEAM, channel: LEGAL, openai_key_name: 'openai' });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await events?.close();
  await platform?.stop();
});

describe('connecting a workspace (OAuth v2)', () => {
  test('/connect/slack redirects to the authorize page with client id, scopes, redirect URL and a state', async () => {
    const res = await fetch(`${platform.url}/connect/slack`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${platform.slack.origin}/oauth/v2/authorize`);
    expect(location.searchParams.get('client_id')).toBe(SLACK_CLIENT_ID);
    expect(location.searchParams.get('scope')!.split(',').sort()).toEqual(
      [
        'app_mentions:read',
        'channels:history',
        'channels:read',
        'chat:write',
        'commands',
        'groups:history',
        'im:history',
        'users:read',
      ].sort(),
    );
    expect(location.searchParams.get('redirect_uri')).toMatch(/\/connect\/slack\/callback$/);
    expect(location.searchParams.get('state')).toMatch(/^slack\.\d+\./);
  });

  test.each([
    ['a forged state', () => signState(stateKey(randomBytes(32)), 'slack')],
    ['an expired state', () => signState(stateKey(parseMasterKey(MASTER_KEY)), 'slack', Date.now() - 11 * 60 * 1000)],
    ['no state', () => ''],
  ])('the callback rejects %s with 400 and stores nothing', async (_what, state) => {
    const code = platform.slack.issueCode(TEAM, []);
    const res = await fetch(`${platform.url}/connect/slack/callback?code=${code}&state=${encodeURIComponent(state())}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Slack was not connected');
    expect(platform.slack.calls.filter((c) => c.method === 'oauth.v2.access')).toHaveLength(0);
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
  });

  test('a valid callback stores the workspace; its token is in no response and no log line', async () => {
    const res = await install();
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Slack workspace Acme connected');
    const token = platform.slack.botToken(TEAM)!;
    expect(token).toMatch(/^xoxb-/);
    const connections = await platform.request('GET', '/api/connections');
    expect(connections.body).toEqual([
      expect.objectContaining({ provider: 'slack', externalId: TEAM, account: 'Acme', botUserId: BOT, status: 'active', reason: null }),
    ]);
    for (const text of [page, JSON.stringify(connections.body), platform.output()]) expect(text).not.toContain(token);
  });
});

describe('events', () => {
  test('url_verification is answered with its challenge', async () => {
    const res = await platform.deliverSlack({
      token: 'XXYYZZ',
      challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    expect(res).toEqual({ status: 200, body: { challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' } });
  });

  test('a channel message gets the model answer in its thread, through the workspace token', async () => {
    const { reply, eventId: id } = await converse(GENERAL, 'What is a monorepo?');
    expect(reply.text).toBe('echo: What is a monorepo?');
    const post = platform.slack.calls.filter((c) => c.method === 'chat.postMessage').at(-1)!;
    expect(post.token).toBe(platform.slack.botToken(TEAM));
    expect((await runOf('slack-chat', id)).status).toBe('succeeded');
  });

  test("a reply in the thread continues the thread's conversation, question and answer included", async () => {
    const { message: parent } = await converse(GENERAL, 'first in thread');
    // A new top-level message starts a conversation of its own: nothing of the earlier ones.
    expect(sentMessages()).toEqual([['user', 'first in thread']]);
    await converse(GENERAL, 'second in thread', { thread_ts: parent.ts });
    expect(sentMessages()).toEqual([
      ['user', 'first in thread'],
      ['assistant', 'echo: first in thread'],
      ['user', 'second in thread'],
    ]);
    await converse(GENERAL, 'third in thread', { thread_ts: parent.ts });
    expect(sentMessages().filter(([role]) => role === 'user')).toEqual([
      ['user', 'first in thread'],
      ['user', 'second in thread'],
      ['user', 'third in thread'],
    ]);
  });

  test('bot messages, our own messages and edits reach no flow', async () => {
    const dropped = [
      channelMessage(GENERAL, 'from a legacy bot', { bot_id: 'B0LEGACY', subtype: 'bot_message', user: undefined }),
      // Apps posting with their bot token: a bot_id and their bot user, no subtype.
      channelMessage(GENERAL, "from another app's bot", { bot_id: 'B0OTHER', user: 'U0OTHERBOT', app_id: 'A0OTHER' }),
      channelMessage(GENERAL, 'our own reply', { user: BOT }),
      channelMessage(GENERAL, 'edited', { subtype: 'message_changed', user: undefined, message: { text: 'edited', user: 'U0ALICE' } }),
      channelMessage(GENERAL, 'joined', { subtype: 'channel_join' }),
    ];
    const ids: string[] = [];
    for (const message of dropped) {
      const res = await platform.deliverSlack(eventCallback(TEAM, message));
      expect(res.status).toBe(200);
      ids.push(res.body.eventId);
    }
    for (const id of ids) await routed(id);
    const runs = await platform.runs('slack-chat');
    expect(runs.filter((r) => ids.includes(r.eventId))).toEqual([]);
    for (const message of dropped) expect(repliesIn(GENERAL, message.ts)).toEqual([]);
  });

  test('an edit reaches a flow that opted into message.message_changed, not slack-chat; a bot edit reaches neither', async () => {
    await platform.deploy(join(ROOT, 'test/fixtures/flows/slack-edits'), { workspace: TEAM, channel: GENERAL });
    const edit = channelMessage(GENERAL, 'edited again', {
      subtype: 'message_changed',
      user: undefined,
      message: { text: 'v2', user: 'U0ALICE' },
    });
    const res = await platform.deliverSlack(eventCallback(TEAM, edit));
    expect(res.status).toBe(200);
    const run = await runOf('slack-edits', res.body.eventId);
    expect(run.status).toBe('succeeded');
    const detail = await platform.request('GET', `/api/runs/${run.id}`);
    expect(detail.body.logs.map((l: { message: string }) => l.message)).toContain('edit seen: v2 (message.message_changed)');
    expect((await platform.runs('slack-chat')).some((r) => r.eventId === res.body.eventId)).toBe(false);

    const botEdit = channelMessage(GENERAL, 'bot edit', {
      subtype: 'message_changed',
      user: undefined,
      message: { text: 'thinking… done', user: BOT, bot_id: 'B0OURS' },
    });
    const dropped = await platform.deliverSlack(eventCallback(TEAM, botEdit));
    await routed(dropped.body.eventId);
    expect((await platform.runs('slack-edits')).some((r) => r.eventId === dropped.body.eventId)).toBe(false);
    expect((await platform.request('DELETE', '/api/flows/slack-edits')).status).toBe(204);
  });

  test('a retry of the same event_id is acknowledged and answered once', async () => {
    const id = eventId();
    const body = eventCallback(TEAM, channelMessage(GENERAL, 'answer me once'), id);
    const first = await platform.deliverSlack(body);
    const retry = await platform.deliverSlack(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(first).toMatchObject({ status: 200, body: { status: 'queued' } });
    expect(retry).toEqual({ status: 200, body: { status: 'duplicate', eventId: first.body.eventId } });
    await runOf('slack-chat', first.body.eventId);
    await routed(first.body.eventId);
    expect(platform.slack.messages.filter((m) => m.thread_ts === body.event.ts)).toHaveLength(1);
  });

  test.each([
    ['a wrong signing secret', { secret: 'not-the-secret' }],
    ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
    ['a timestamp in the future', { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 }],
  ])('%s is refused with 401', async (_what, options) => {
    const res = await platform.deliverSlack(eventCallback(TEAM, channelMessage(GENERAL, 'forged')), options);
    expect(res.status).toBe(401);
  });

  test('a body altered after signing is refused with 401', async () => {
    const body = eventCallback(TEAM, channelMessage(GENERAL, 'original'));
    const signed = signedSlackRequest(body, SLACK_SIGNING_SECRET);
    const res = await fetch(`${platform.url}/webhooks/slack/events`, {
      method: 'POST',
      headers: signed.headers,
      body: signed.body.replace('original', 'altered!'),
    });
    expect(res.status).toBe(401);
  });
});

describe('slash commands and mentions', () => {
  const topLevel = (channel: string) => platform.slack.messages.filter((m) => m.channel === channel && m.thread_ts === undefined);
  const restartAnswers = () => topLevel(GENERAL).filter((m) => m.text === 'Ok, I am starting a new conversation.');

  test('/restart is acknowledged at once with an empty 200, answered in the channel, and starts its threads over', async () => {
    const { message: parent } = await converse(GENERAL, 'before the restart');
    await converse(GENERAL, 'still before', { thread_ts: parent.ts });
    expect(sentMessages()).toHaveLength(3);

    const before = restartAnswers().length;
    const started = Date.now();
    const res = await platform.deliverSlackCommand(slashCommand(TEAM, GENERAL, '/restart'));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res).toEqual({ status: 200, body: '' });
    await waitFor('the answer to /restart', () => restartAnswers().length > before);

    await converse(GENERAL, 'after the restart', { thread_ts: parent.ts });
    expect(sentMessages()).toEqual([['user', 'after the restart']]);
  });

  test('the same trigger_id twice is answered once; a forged command is refused with 401 and queues nothing', async () => {
    const command = slashCommand(TEAM, GENERAL, '/restart');
    const before = restartAnswers().length;
    expect((await platform.deliverSlackCommand(command)).status).toBe(200);
    expect((await platform.deliverSlackCommand(command)).status).toBe(200);
    await waitFor('the answer to /restart', () => restartAnswers().length > before);

    const queued = async () => Object.values(await events.getJobCounts()).reduce((sum, n) => sum + n, 0);
    const jobs = await queued();
    expect((await platform.deliverSlackCommand(slashCommand(TEAM, GENERAL, '/restart'), { secret: 'not-the-secret' })).status).toBe(401);
    // A command without a channel is no command Slack sends.
    const { channel_id: _channel, ...malformed } = slashCommand(TEAM, GENERAL, '/restart');
    expect((await platform.deliverSlackCommand(malformed)).status).toBe(400);
    expect(await queued()).toBe(jobs);
    await converse(GENERAL, 'anything after?');
    expect(restartAnswers()).toHaveLength(before + 1);
  });

  test('a mention of the bot in another channel is answered in its thread, without the mention', async () => {
    const mention = channelMessage(RANDOM, `<@${BOT}> what is a slash command?`, { type: 'app_mention' });
    const res = await platform.deliverSlack(eventCallback(TEAM, mention));
    expect(res.status).toBe(200);
    const [reply] = await waitFor(
      'the answer to the mention',
      () => repliesIn(RANDOM, mention.ts).length > 0 && repliesIn(RANDOM, mention.ts),
    );
    expect(reply.text).toBe('echo: what is a slash command?');
    expect((await runOf('slack-chat', res.body.eventId)).status).toBe('succeeded');
  });

  test('a mention in the served channel, delivered as a message and as app_mention, is answered once', async () => {
    const text = `<@${BOT}> answer me once`;
    const message = channelMessage(GENERAL, text);
    const mention = { ...message, type: 'app_mention', channel_type: undefined };
    const asMessage = await platform.deliverSlack(eventCallback(TEAM, message));
    const asMention = await platform.deliverSlack(eventCallback(TEAM, mention));
    await runOf('slack-chat', asMessage.body.eventId);
    await runOf('slack-chat', asMention.body.eventId);
    expect(repliesIn(GENERAL, message.ts)).toEqual([expect.objectContaining({ text: 'echo: answer me once' })]);
  });
});

describe('slack-lawyer', () => {
  test('answers each question with the disclaimer and sends no history', async () => {
    const first = await converse(LEGAL, 'Can my landlord keep my deposit?');
    expect(first.reply.text).toContain('echo: Can my landlord keep my deposit?');
    expect(first.reply.text).toMatch(/not legal advice/i);
    const second = await converse(LEGAL, 'And for a car lease?');
    const sent = platform.llm.requests.at(-1)!.body.messages;
    expect(sent.map((m) => m.role)).toEqual(['system', 'user']);
    expect(sent[0].content).toMatch(/legal advisor/i);
    expect(sent[1].content).toBe('And for a car lease?');
    expect(second.reply.text).toMatch(/not legal advice/i);
  });
});

describe('uninstalling', () => {
  test('app_uninstalled revokes the connection and its flows stop receiving events', async () => {
    const res = await platform.deliverSlack(
      eventCallback(TEAM, { type: 'app_uninstalled', event_ts: `${Math.floor(Date.now() / 1000)}.000000` }),
    );
    expect(res.status).toBe(200);
    await waitFor('the connection to be revoked', async () => {
      const [connection] = (await platform.request('GET', '/api/connections')).body;
      return connection.status === 'revoked' && connection.reason === 'app_uninstalled';
    });
    const after = await platform.deliverSlack(eventCallback(TEAM, channelMessage(GENERAL, 'anyone there?')));
    expect(after.status).toBe(200);
    await routed(after.body.eventId);
    expect((await platform.runs('slack-chat')).filter((r) => r.eventId === after.body.eventId)).toEqual([]);
    // Installing again makes the same flows answer again.
    expect((await install()).status).toBe(200);
    await converse(GENERAL, 'back again');
  });
});

describe('connections', () => {
  /** The built `openflows` CLI against this platform; resolves with its standard output. */
  const cli = async (...args: string[]) =>
    (await promisify(execFile)(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', OPENFLOWS_URL: platform.url } }))
      .stdout;

  test('`openflows connections list` shows the workspace, and delete disconnects it', async () => {
    const [connection] = (await platform.request('GET', '/api/connections')).body;
    const listed = await cli('connections', 'list');
    expect(listed).toMatch(new RegExp(`${connection.id}\\s+slack\\s+Acme\\s+${TEAM}\\s+active`));
    expect(await cli('connections', 'delete', connection.id)).toContain(`disconnected ${connection.id}`);
    expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
    expect((await platform.request('DELETE', `/api/connections/${connection.id}`)).status).toBe(404);
    expect((await platform.request('DELETE', '/api/connections/not-a-uuid')).status).toBe(400);
    const after = await platform.deliverSlack(eventCallback(TEAM, channelMessage(GENERAL, 'still there?')));
    await routed(after.body.eventId);
    expect((await platform.runs('slack-chat')).filter((r) => r.eventId === after.body.eventId)).toEqual([]);
  });
});
