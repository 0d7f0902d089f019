/**
 * flows/daily-digest end to end on the real api and worker processes: a schedule tick (here
 * `schedule.every`, as the `every_ms` variable allows) lists yesterday's new issues of the repository
 * the flow's `owner`/`repo` variables name through the owner's App installation (the GitHub
 * stand-in's issues listing, paged), has the OpenAI stand-in summarise them, and posts the digest to
 * the connected Slack workspace's channel (the Slack stand-in). A schedule tick carries no GitHub or
 * Slack connection: the run gets them from the flow's variables (ProviderAdapter.bindAside).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const TEAM = 'T0DIGEST';
const CHANNEL = 'C0DIGEST';
const SUMMARY = 'Two new bugs: #21 asks for retries, #22 reports a crash on start.';
const DAY = 86_400_000;

jest.setTimeout(60_000);

let platform: Platform;

/** An ISO time `daysAgo` days before today's UTC midnight, plus `hours`. */
function at(daysAgo: number, hours: number): string {
  const midnight = new Date(new Date().toISOString().slice(0, 10)).getTime();
  return new Date(midnight - daysAgo * DAY + hours * 3_600_000).toISOString();
}

beforeAll(async () => {
  platform = await Platform.start({
    mode: 'separate',
    repositories: ['octo-org/hello'],
    env: { MASTER_KEY: randomBytes(32).toString('base64') },
  });
  await platform.installApp();
  platform.slack.addTeam({ id: TEAM, name: 'Digest Co', botUserId: 'U0DIGESTBOT', channels: [{ id: CHANNEL, name: 'team' }] });
  const start = await fetch(`${platform.url}/connect/slack`, { redirect: 'manual' });
  // Slack's authorize page, where the user grants the scopes the platform asks for.
  await fetch(start.headers.get('location')!);
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  const callback = `${platform.url}/connect/slack/callback?code=${platform.slack.issueCode(TEAM)}&state=${encodeURIComponent(state)}`;
  expect((await fetch(callback, { redirect: 'manual' })).status).toBeLessThan(400);
  // 2 new issues yesterday among 102 listed since yesterday (two pages of 100): older ones updated
  // yesterday, and a pull request, are not new issues.
  const older = Array.from({ length: 98 }, (_, i) => ({
    number: 100 + i,
    title: `old issue ${i}`,
    created_at: at(5, 1),
    updated_at: at(1, 2),
  }));
  platform.github.issues.set('octo-org/hello', [
    { number: 21, title: 'Retry failed deliveries', body: 'Webhooks get lost when the api restarts.', created_at: at(1, 8), login: 'ana' },
    { number: 22, title: 'Crash on start', body: 'TypeError at boot.', created_at: at(1, 15), login: 'bo', state: 'closed' },
    { number: 23, title: 'Add a retry button', created_at: at(1, 9), pull_request: true },
    { number: 24, title: 'Today, not yesterday', created_at: at(0, 0.1) },
    ...older,
  ]);
  platform.llm.reply(() => SUMMARY);
  await platform.putLlmKey('openai');
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  // Undeployed first when the test failed half-way: a schedule still ticking slows the worker's stop.
  await platform?.request('DELETE', '/api/flows/daily-digest').catch(() => undefined);
  await platform?.stop();
});

test('a tick posts the LLM summary of yesterday’s new issues to the Slack channel, then undeploy stops it', async () => {
  const before = platform.llm.requests.length;
  const deployed = await platform.deploy(join(ROOT, 'flows/daily-digest'), {
    owner: 'octo-org',
    repo: 'hello',
    channel: CHANNEL,
    openai_key_name: 'openai',
    every_ms: '1500',
  });
  expect(deployed.status).toBe('running');

  await waitFor('the digest in Slack', async () => platform.slack.messages.some((m) => m.channel === CHANNEL));
  const [posted] = platform.slack.messages.filter((m) => m.channel === CHANNEL);
  expect(posted).toMatchObject({ teamId: TEAM, text: `*2 new issue(s) in octo-org/hello yesterday*\n${SUMMARY}` });

  const listing = platform.github.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/repos/octo-org/hello/issues'));
  expect(listing.length).toBeGreaterThanOrEqual(2);
  const first = new URL(listing[0].path, 'http://x').searchParams;
  expect(first.get('since')).toBe(at(1, 0));
  expect(first.get('state')).toBe('all');
  expect(new URL(listing[1].path, 'http://x').searchParams.get('page')).toBe('2');
  expect(listing[0].headers.authorization).toMatch(/^token ghs_/);

  const asked = platform.llm.requests[before].body.messages.at(-1)?.content as string;
  expect(asked).toContain('#21 Retry failed deliveries (by ana; bug)');
  expect(asked).toContain('#22 Crash on start (by bo; bug)');
  expect(asked).not.toMatch(/#23|#24|old issue/);

  await platform.request('DELETE', '/api/flows/daily-digest');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const settled = platform.slack.messages.length;
  await new Promise((resolve) => setTimeout(resolve, 3500));
  expect(platform.slack.messages.length).toBe(settled);
});
