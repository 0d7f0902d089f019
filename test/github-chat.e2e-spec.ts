/**
 * The main job end to end: signed GitHub deliveries (GitHub's published example payloads) through the
 * real api and worker processes on PostgreSQL and Redis, flows/github-chat answering through the
 * OpenAI stand-in and commenting through the GitHub stand-in.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform, REDIS_URL, WEBHOOK_SECRET } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { visibleBody } from '@openflows/test-support/github-stand-in';

const OWNER = 'octo-org';
const REPO = 'hello';
const ROOT = join(__dirname, '..');

jest.setTimeout(60_000);

let platform: Platform;
let nextIssue = 100;

function issueOpened(number: number, title: string, body: string) {
  const payload = withInstallation(withRepo(examplePayload('issues', 'opened'), OWNER, REPO), INSTALLATION_ID);
  Object.assign(payload.issue, { number, title, body });
  return payload;
}

function commentCreated(
  number: number,
  body: string,
  user: { login: string; type: string } = { login: 'octocat', type: 'User' },
  action = 'created',
) {
  const payload = withInstallation(withRepo(examplePayload('issue_comment', action), OWNER, REPO), INSTALLATION_ID);
  payload.issue.number = number;
  Object.assign(payload.comment, { id: Math.floor(Math.random() * 1e9), body });
  Object.assign(payload.comment.user, user);
  return payload;
}

const commentsOn = (number: number) => platform.github.comments.filter((c) => c.issue_number === number);

/** Waits until the run of `eventId` for the flow is finished, and returns it. */
async function finishedRun(flow: string, eventId: string, status = 'succeeded') {
  return waitFor(`run of event ${eventId} to be ${status}`, async () => {
    const run = (await platform.runs(flow)).find((r) => r.eventId === eventId);
    return run && run.status === status ? run : undefined;
  });
}

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [`${OWNER}/${REPO}`, `${OWNER}/boom`], env: { RUN_LOCK_MS: '2000' } });
  await platform.installApp();
  await platform.putLlmKey('openai');
  await platform.deploy(join(ROOT, 'flows/github-chat'), { owner: OWNER, repo: REPO, openai_key_name: 'openai' });
  await platform.deploy(join(ROOT, 'test/fixtures/flows/failing-flow'), { owner: OWNER, repo: 'boom' });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

test('an opened issue gets one comment with the model answer to its title and body', async () => {
  const number = nextIssue++;
  const res = await platform.deliver('issues', issueOpened(number, 'Crash on start', 'It fails with ENOENT.'));
  expect(res.status).toBe(202);

  const [comment] = await waitFor('the reply comment', () => commentsOn(number).length > 0 && commentsOn(number));
  expect(comment).toMatchObject({ owner: OWNER, repo: REPO });
  expect(visibleBody(comment.body)).toBe('echo: Crash on start\nIt fails with ENOENT.');
  const sent = platform.llm.requests.at(-1)!.body;
  expect(sent.messages[0].role).toBe('system');
  expect(sent.messages.at(-1)).toEqual({ role: 'user', content: 'Crash on start\nIt fails with ENOENT.' });

  const run = await finishedRun('github-chat', res.body.eventId);
  expect(run.attempts).toBe(1);
  expect(run.promptTokens).toBeGreaterThan(0);
  const detail = await platform.request('GET', `/api/runs/${run.id}`);
  expect(detail.body.logs.map((l: { message: string }) => l.message)).toContain(`answered issue #${number} with comment ${comment.id}`);
});

test('a second comment carries the first exchange to the model', async () => {
  const number = nextIssue++;
  await platform.deliver('issues', issueOpened(number, 'Question', 'How do I deploy?'));
  await waitFor('answer to the issue', () => commentsOn(number).length === 1);
  await platform.deliver('issue_comment', commentCreated(number, 'first comment'));
  await waitFor('answer to the first comment', () => commentsOn(number).length === 2);
  await platform.deliver('issue_comment', commentCreated(number, 'second comment'));
  await waitFor('answer to the second comment', () => commentsOn(number).length === 3);

  const sent = platform.llm.requests.at(-1)!.body.messages.filter((m) => m.role !== 'system');
  expect(sent).toEqual([
    { role: 'user', content: 'Question\nHow do I deploy?' },
    { role: 'assistant', content: 'echo: Question\nHow do I deploy?' },
    { role: 'user', content: 'first comment' },
    { role: 'assistant', content: 'echo: first comment' },
    { role: 'user', content: 'second comment' },
  ]);
  expect(visibleBody(commentsOn(number).at(-1)!.body)).toBe('echo: second comment');
});

test('bot comments, the bot itself, edits and closed issues get no reply', async () => {
  const number = nextIssue++;
  await platform.deliver('issues', issueOpened(number, 'Quiet', 'please'));
  await waitFor('answer to the issue', () => commentsOn(number).length === 1);
  const llmCalls = platform.llm.requests.length;

  const closed = issueOpened(number, 'Quiet', 'please');
  // GitHub publishes no `issues.closed` example; this is `issues.opened` as GitHub sends it on close.
  Object.assign(closed, { action: 'closed' });
  Object.assign(closed.issue, { state: 'closed' });
  const deliveries = [
    await platform.deliver('issue_comment', commentCreated(number, 'beep', { login: 'other-bot[bot]', type: 'Bot' })),
    await platform.deliver('issue_comment', commentCreated(number, 'me again', { login: 'openflows-test[bot]', type: 'User' })),
    await platform.deliver('issue_comment', commentCreated(number, 'edited text', undefined, 'edited')),
    await platform.deliver('issues', closed),
  ];
  for (const delivery of deliveries) {
    expect(delivery.status).toBe(202);
    await finishedRun('github-chat', delivery.body.eventId);
  }
  expect(commentsOn(number)).toHaveLength(1);
  expect(platform.llm.requests).toHaveLength(llmCalls);
});

test("the bot's own comment, recognised by its id, gets no reply", async () => {
  const number = nextIssue++;
  await platform.deliver('issues', issueOpened(number, 'Loop', 'guard'));
  const [own] = await waitFor('answer to the issue', () => commentsOn(number).length === 1 && commentsOn(number));
  const llmCalls = platform.llm.requests.length;
  const echo = commentCreated(number, own.body, { login: 'renamed-app[bot]', type: 'User' });
  echo.comment.id = own.id;
  const delivery = await platform.deliver('issue_comment', echo);
  await finishedRun('github-chat', delivery.body.eventId);
  expect(commentsOn(number)).toHaveLength(1);
  expect(platform.llm.requests).toHaveLength(llmCalls);
});

test('a bad or missing signature is refused with 401 and nothing is queued', async () => {
  const events = new Queue('events', { connection: { url: REDIS_URL } as never, prefix: platform.prefix });
  const before = await events.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed');
  const number = nextIssue++;
  const forged = await platform.deliver('issues', issueOpened(number, 'forged', 'x'), { secret: 'not-the-secret' });
  expect(forged).toMatchObject({ status: 401, body: { code: 'SIGNATURE_INVALID' } });
  const unsigned = await fetch(`${platform.url}/webhooks/github`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': 'no-signature' },
    body: JSON.stringify(issueOpened(number, 'unsigned', 'x')),
  });
  expect(unsigned.status).toBe(401);
  expect(await events.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed')).toBe(before);
  await events.close();
  expect(commentsOn(number)).toHaveLength(0);
});

test('the same delivery twice is acknowledged twice and answered once', async () => {
  const number = nextIssue++;
  const payload = issueOpened(number, 'Twice', 'sent twice');
  const first = await platform.deliver('issues', payload);
  const second = await platform.deliver('issues', payload, { deliveryId: first.deliveryId });
  expect(first.status).toBe(202);
  expect(second).toMatchObject({ status: 200, body: { status: 'duplicate', eventId: first.body.eventId } });
  await finishedRun('github-chat', first.body.eventId);
  expect(commentsOn(number)).toHaveLength(1);
});

test('malformed JSON is 400 and an unknown event is accepted and ignored', async () => {
  const body = '{"action": "opened",';
  const bad = await fetch(`${platform.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'x-github-event': 'issues',
      'x-github-delivery': 'malformed-1',
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  expect(bad.status).toBe(400);
  const unknown = await platform.deliver('star', withRepo(examplePayload('star', 'created'), OWNER, REPO));
  expect(unknown.status).toBe(202);
  expect((await platform.runs('github-chat')).some((r) => r.eventId === unknown.body.eventId)).toBe(false);
});

test('a flow that throws fails its run only, with the error in its log, and the next event is served', async () => {
  const number = nextIssue++;
  const boom = withRepo(commentCreated(number, 'boom please'), OWNER, 'boom');
  const failed = await platform.deliver('issue_comment', boom);
  const run = await finishedRun('failing-flow', failed.body.eventId, 'failed');
  expect(run).toMatchObject({ attempts: 2, error: 'boom requested by the comment' });
  const detail = await platform.request('GET', `/api/runs/${run.id}`);
  const lines = detail.body.logs.map((l: { attempt: number; level: string; message: string }) => `${l.attempt} ${l.level} ${l.message}`);
  expect(lines).toContain('1 error run failed: boom requested by the comment');
  expect(lines).toContain('2 error run failed: boom requested by the comment');

  const fine = await platform.deliver('issue_comment', withRepo(commentCreated(number, 'all good'), OWNER, 'boom'));
  const next = await finishedRun('failing-flow', fine.body.eventId);
  expect(next.attempts).toBe(1);
});

test('a worker killed in the middle of a run: the run completes once a worker is back', async () => {
  const number = nextIssue++;
  const llmCalls = platform.llm.requests.length;
  platform.llm.delay(5_000);
  const delivery = await platform.deliver('issues', issueOpened(number, 'Crash test', 'kill the worker'));
  await waitFor('the run to reach the model', () => platform.llm.requests.length > llmCalls);
  await platform.worker!.stop('SIGKILL');
  platform.llm.delay(0);
  await platform.startWorker();

  const run = await finishedRun('github-chat', delivery.body.eventId);
  expect(run.status).toBe('succeeded');
  expect(commentsOn(number).map((c) => visibleBody(c.body))).toEqual(['echo: Crash test\nkill the worker']);
});

test('while Redis is unreachable the ingress answers 503, and the redelivery is served', async () => {
  const broken = await platform.startExtraApi({ REDIS_URL: 'redis://127.0.0.1:1' });
  try {
    const number = nextIssue++;
    const payload = issueOpened(number, 'Redis down', 'retry me');
    const refused = await platform.deliver('issues', payload, { base: broken.url });
    expect(refused.status).toBe(503);
    const redelivered = await platform.deliver('issues', payload, { deliveryId: refused.deliveryId });
    expect(redelivered.status).toBe(202);
    await waitFor('the reply after redelivery', () => commentsOn(number).length === 1);
  } finally {
    await broken.process.stop();
  }
});
