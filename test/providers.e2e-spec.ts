/**
 * The provider registry as the API shows it, through the real platform (one process on PGlite):
 * the connection cards, the generic webhook and connect routes refusing what no provider serves,
 * a deploy naming an unknown provider, and subscription registration following connections (a Slack
 * flow deployed before its workspace is connected is `unregistered` until it is).
 */
import { join } from 'node:path';
import { Platform } from '@openflows/test-support/platform';

const ROOT = join(__dirname, '..');
const TEAM = 'T0ACME';

jest.setTimeout(60_000);

let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ mode: 'standalone', repositories: [] });
  platform.slack.addTeam({ id: TEAM, name: 'Acme', botUserId: 'U0BOT', channels: [{ id: 'C0GENERAL', name: 'general' }] });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

async function installSlack(): Promise<void> {
  const start = await fetch(`${platform.url}/connect/slack`, { redirect: 'manual' });
  // Slack's authorize page, where the user grants the scopes the platform asks for.
  await fetch(start.headers.get('location')!);
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  const res = await fetch(
    `${platform.url}/connect/slack/callback?code=${platform.slack.issueCode(TEAM)}&state=${encodeURIComponent(state)}`,
  );
  expect(res.status).toBe(200);
}

describe('the registry through the API', () => {
  test('GET /api/providers lists every provider with what its card renders', async () => {
    const { status, body } = await platform.request('GET', '/api/providers');
    expect(status).toBe(200);
    const byId = Object.fromEntries((body as { id: string; fields?: unknown[] }[]).map((p) => [p.id, p]));
    expect(byId.github).toMatchObject({
      title: 'GitHub',
      authorize: { label: 'Connect GitHub', url: '/connect/github' },
      fields: [expect.objectContaining({ name: 'token', secret: true })],
      source: 'github.repo(owner, repo)',
      docs: 'github',
    });
    expect(byId.slack).toMatchObject({ title: 'Slack', authorize: { url: '/connect/slack' }, source: 'slack.channel(team, channel)' });
    expect(byId.slack.fields).toBeUndefined();
  });

  test.each([
    ['POST', '/webhooks/gitlab'],
    ['POST', '/webhooks/gitlab/events'],
    ['GET', '/webhooks/gitlab'],
  ])('%s %s is PROVIDER_UNKNOWN (404)', async (method, path) => {
    const res = await fetch(`${platform.url}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'PROVIDER_UNKNOWN' });
  });

  test('connecting an unknown provider is PROVIDER_UNKNOWN; Slack, connected in the browser, is CONNECT_INVALID', async () => {
    expect(await platform.request('POST', '/api/connections/gitlab', { token: 'x' })).toMatchObject({
      status: 404,
      body: { code: 'PROVIDER_UNKNOWN' },
    });
    const slack = await platform.request('POST', '/api/connections/slack', { token: 'x' });
    expect(slack).toMatchObject({ status: 400, body: { code: 'CONNECT_INVALID' } });
    expect(slack.body.message).toContain('/connect/slack');
  });

  test("GitHub tokens connect through the generic route too, with GitHub's own refusals", async () => {
    expect(await platform.request('POST', '/api/connections/github', {})).toMatchObject({ status: 400, body: { code: 'TOKEN_MISSING' } });
    expect(await platform.request('POST', '/api/connections/github', { token: 'ghp_unknown' })).toMatchObject({
      status: 400,
      body: { code: 'TOKEN_INVALID' },
    });
  });

  test('a flow listening to a provider the platform does not speak is refused at deploy with FLOW_INVALID', async () => {
    const code = [
      "const { listenToEvent } = require('@openflows/sdk');",
      "exports.run = async () => { await listenToEvent({ provider: 'gitlab', target: 'octo/hello' }, ['push'], () => undefined); };",
    ].join('\n');
    const res = await platform.request('POST', '/api/flows', { name: 'gitlab-flow', code });
    expect(res).toMatchObject({ status: 400, body: { code: 'FLOW_INVALID' } });
    expect(res.body.message).toContain('"gitlab"');
    expect((await platform.request('GET', '/api/flows/gitlab-flow')).status).toBe(404);
  });
});

describe('registration follows connections', () => {
  test('a Slack flow is unregistered until its workspace is connected, and again after it is disconnected', async () => {
    await platform.putLlmKey('openai');
    const deployed = await platform.deploy(join(ROOT, 'flows/slack-chat'), {
      workspace: 'Acme',
      channel: '#general',
      openai_key_name: 'openai',
    });
    // Its channel's messages, mentions anywhere, the /restart command: all on the workspace.
    expect(deployed.status).toBe('unregistered');
    expect(deployed.subscriptions.map((s: { registered: boolean }) => s.registered)).toEqual([false, false, false]);
    expect(deployed.reason).toContain('No Slack workspace acme is connected');
    expect(deployed.reason).toContain('/connect/slack');

    await installSlack();
    const connected = (await platform.request('GET', `/api/flows/${deployed.name}`)).body;
    expect(connected.status).toBe('running');
    expect(connected.subscriptions.map((s: { registered: boolean }) => s.registered)).toEqual([true, true, true]);
    expect(connected.reason).toBeUndefined();

    const [connection] = (await platform.request('GET', '/api/connections')).body;
    expect(connection).toMatchObject({ provider: 'slack', details: ['bot user U0BOT'] });
    expect((await platform.request('DELETE', `/api/connections/${connection.id}`)).status).toBe(204);
    expect((await platform.request('GET', `/api/flows/${deployed.name}`)).body).toMatchObject({ status: 'unregistered' });
  });
});
