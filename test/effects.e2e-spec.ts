/**
 * No effect twice, through the real api and worker on PostgreSQL and Redis: a flow that comments on
 * GitHub (or posts on Slack) and then fails its first attempt is retried; the retry gets the comment's
 * answer from the run's effect journal instead of commenting again. With the journal entry lost (the
 * window between an effect and its entry), the retry finds the effect by the marker it left with the
 * vendor: an HTML comment in the GitHub comment, message metadata on Slack.
 */
import { join } from 'node:path';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { channelMessage, eventCallback } from '@openflows/test-support/slack-events';

const OWNER = 'octo-org';
const REPO = 'hello';
const TEAM = 'T0ACME';
const CHANNEL = 'C0GENERAL';
const ROOT = join(__dirname, '..');
const FLOW = 'act-then-fail';

jest.setTimeout(60_000);

let platform: Platform;
let nextIssue = 300;

function comment(number: number, body: string) {
  const payload = withInstallation(withRepo(examplePayload('issue_comment', 'created'), OWNER, REPO), INSTALLATION_ID);
  payload.issue.number = number;
  Object.assign(payload.comment, { id: Math.floor(Math.random() * 1e9), body });
  Object.assign(payload.comment.user, { login: 'octocat', type: 'User' });
  return payload;
}

async function runOf(eventId: string, status: string) {
  return waitFor(`the run of ${eventId} to be ${status}`, async () => {
    const run = (await platform.runs(FLOW)).find((r) => r.eventId === eventId);
    return run?.status === status ? run : undefined;
  });
}

/** Deletes the run's journal while it waits for its retry: as if the entries had never been written. */
async function loseJournal(runId: string): Promise<void> {
  expect(await platform.redis.del(`${platform.prefix}:journal:${runId}`)).toBe(1);
}

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [`${OWNER}/${REPO}`], env: { RUN_BACKOFF_MS: '1500' } });
  await platform.installApp();
  platform.slack.addTeam({ id: TEAM, name: 'Acme', botUserId: 'U0BOT', channels: [{ id: CHANNEL, name: 'general' }] });
  const start = await fetch(`${platform.url}/connect/slack`, { redirect: 'manual' });
  // Slack's authorize page, where the user grants the scopes the platform asks for.
  await fetch(start.headers.get('location')!);
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  await fetch(`${platform.url}/connect/slack/callback?code=${platform.slack.issueCode(TEAM)}&state=${encodeURIComponent(state)}`);
  await platform.deploy(join(ROOT, 'test/fixtures/flows', FLOW), { owner: OWNER, repo: REPO, team: TEAM, channel: CHANNEL });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

const commentsOn = (number: number) => platform.github.comments.filter((c) => c.issue_number === number);

test('a retried run replays the comment its first attempt made instead of commenting again', async () => {
  const number = nextIssue++;
  const res = await platform.deliver('issue_comment', comment(number, 'hello'));
  const run = await runOf(res.body.eventId, 'succeeded');
  expect(run.attempts).toBe(2);
  expect(commentsOn(number)).toHaveLength(1);
  // The marker names the run and the step; GitHub renders the HTML comment as nothing.
  expect(commentsOn(number)[0].body).toBe(`ack: hello\n\n<!-- openflows:${run.id}:1 -->`);
});

test('with the journal entry lost, the retry finds the comment by its marker', async () => {
  const number = nextIssue++;
  const res = await platform.deliver('issue_comment', comment(number, 'again'));
  const retrying = await runOf(res.body.eventId, 'retrying');
  await loseJournal(retrying.id);
  const run = await runOf(res.body.eventId, 'succeeded');
  expect(run.attempts).toBe(2);
  expect(commentsOn(number)).toHaveLength(1);
  const listed = platform.github.requests.filter(
    (r) => r.method === 'GET' && r.path.startsWith(`/repos/${OWNER}/${REPO}/issues/${number}/comments`),
  );
  expect(listed).toHaveLength(1);
});

test('the same holds for a Slack message, found by its metadata', async () => {
  const message = channelMessage(CHANNEL, 'hi there');
  const res = await platform.deliverSlack(eventCallback(TEAM, message));
  const retrying = await runOf(res.body.eventId, 'retrying');
  await loseJournal(retrying.id);
  await runOf(res.body.eventId, 'succeeded');
  const answers = platform.slack.messages.filter((m) => m.thread_ts === message.ts);
  expect(answers).toHaveLength(1);
  expect(answers[0]).toMatchObject({
    text: 'ack: hi there',
    metadata: { event_type: 'openflows_effect', event_payload: { marker: `openflows:${retrying.id}:1` } },
  });
});
