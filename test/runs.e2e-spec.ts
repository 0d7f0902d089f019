/**
 * Runs end to end through the real api and worker processes on PostgreSQL and Redis: the global run
 * listing and its filters, a run's detail with the event payload, live updates as server-sent events
 * (Redis pub/sub from the worker to the api), replays of runs (one and many) and of an event, the
 * secrets' kind and last use, and owner scoping of all of it (a second user signed in with GitHub).
 * The local user (API_TOKEN) owns the installation and the flows.
 */
import { join } from 'node:path';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { EventStream } from '@openflows/test-support/sse';

const ROOT = join(__dirname, '..');
const OWNER = 'octo-org';
const ADMIN_TOKEN = 'e2e-runs-admin-token-0123456789';
const OAUTH = { clientId: 'Iv23liE2eRuns0001', clientSecret: 'e2e-runs-oauth-client-secret' };

jest.setTimeout(60_000);

let platform: Platform;
let bob: string;
let nextIssue = 500;

const issueOpened = (number: number, title: string) => {
  const payload = withInstallation(withRepo(examplePayload('issues', 'opened'), OWNER, 'hello'), INSTALLATION_ID);
  Object.assign(payload.issue, { number, title, body: 'body' });
  return payload;
};

const boomComment = (number: number, body: string) => {
  const payload = withInstallation(withRepo(examplePayload('issue_comment', 'created'), OWNER, 'boom'), INSTALLATION_ID);
  payload.issue.number = number;
  Object.assign(payload.comment, { id: Math.floor(Math.random() * 1e9), body });
  return payload;
};

const api = <T = any>(method: string, path: string, body?: unknown) => platform.requestAs<T>(ADMIN_TOKEN, method, path, body);

/** Waits until the run of `eventId` (any flow) has `status`, and returns it from the global listing. */
async function runOf(eventId: string, status: string) {
  return waitFor(`run of event ${eventId} to be ${status}`, async () => {
    const run = ((await api('GET', '/api/runs?limit=200')).body as any[]).find((r) => r.eventId === eventId);
    return run?.status === status ? run : undefined;
  });
}

const stream = async (path: string, token = ADMIN_TOKEN) => {
  const opened = await EventStream.open(`${platform.url}${path}`, token);
  if (!(opened instanceof EventStream)) throw new Error(`stream ${path} refused: ${opened.status} ${JSON.stringify(opened.body)}`);
  return opened;
};

beforeAll(async () => {
  platform = await Platform.start({
    mode: 'separate',
    repositories: [`${OWNER}/hello`, `${OWNER}/boom`],
    oauth: OAUTH,
    env: { API_TOKEN: ADMIN_TOKEN },
  });
  const connected = await platform.connectInstallation(await platform.connectStart(ADMIN_TOKEN), INSTALLATION_ID);
  if (connected.status !== 200) throw new Error(`connect failed: ${connected.status} ${await connected.text()}`);
  await platform.putLlmKey('openai');
  await platform.deploy(join(ROOT, 'flows/github-chat'), { owner: OWNER, repo: 'hello', openai_key_name: 'openai' });
  await platform.deploy(join(ROOT, 'test/fixtures/flows/failing-flow'), { owner: OWNER, repo: 'boom' });
  bob = await platform.signIn('bob');
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

describe('live updates (server-sent events)', () => {
  test("the flow's stream sees queued → running → succeeded; the run's stream its state, log lines and end", async () => {
    const flowStream = await stream('/api/runs/stream?flow=github-chat');
    const everything = await stream('/api/runs/stream');
    const bobs = await stream('/api/runs/stream', bob);
    platform.llm.delay(1500);
    try {
      const number = nextIssue++;
      const delivered = await platform.deliver('issues', issueOpened(number, 'Live'));
      expect(delivered.status).toBe(202);
      const queued = await flowStream.until('the queued run', () =>
        flowStream.data('run').find((r) => r.eventId === delivered.body.eventId && r.status === 'queued'),
      );
      expect(queued).toMatchObject({
        flowName: 'github-chat',
        attempts: 0,
        event: { id: delivered.body.eventId, provider: 'github', name: 'issues', action: 'opened', deliveryId: delivered.deliveryId },
      });

      const runStream = await stream(`/api/runs/${queued.id}/stream`);
      await runStream.ended;
      const names = runStream.events.map((e) => e.event);
      expect(names[0]).toBe('run');
      expect(['queued', 'running']).toContain(runStream.data('run')[0].status);
      expect(names.at(-1)).toBe('end');
      expect(runStream.data('end')).toEqual([{ id: queued.id, status: 'succeeded' }]);
      expect(runStream.data('run').at(-1)).toMatchObject({ id: queued.id, status: 'succeeded', attempts: 1 });
      const lines = runStream.data('log').map((l) => l.message as string);
      expect(lines.some((m) => m.startsWith('chatCompletion issue#'))).toBe(true);
      expect(lines.some((m) => m.startsWith(`answered issue #${number}`))).toBe(true);
      expect(runStream.data('log')[0]).toEqual(expect.objectContaining({ attempt: 1, level: 'info', at: expect.any(String) }));

      for (const s of [flowStream, everything]) {
        await s.until('the succeeded run', () => s.data('run').some((r) => r.id === queued.id && r.status === 'succeeded'));
      }
      const statuses = (s: EventStream) =>
        s
          .data('run')
          .filter((r) => r.id === queued.id)
          .map((r) => r.status);
      expect(statuses(flowStream)).toEqual(['queued', 'running', 'succeeded']);
      expect(statuses(everything)).toEqual(['queued', 'running', 'succeeded']);
      expect(flowStream.events.every((e) => e.event === 'run')).toBe(true);
      expect(bobs.events).toEqual([]);
      expect(flowStream.comments).toContain('connected');
    } finally {
      platform.llm.delay(0);
      await Promise.all([flowStream.close(), everything.close(), bobs.close()]);
    }
  });

  test("a finished run's stream sends its state and end at once; another flow's stream hears nothing of it", async () => {
    const otherFlow = await stream('/api/runs/stream?flow=failing-flow');
    const delivered = await platform.deliver('issues', issueOpened(nextIssue++, 'Done'));
    const run = await runOf(delivered.body.eventId, 'succeeded');
    const runStream = await stream(`/api/runs/${run.id}/stream`);
    await runStream.ended;
    expect(runStream.events.map((e) => e.event)).toEqual(['run', 'end']);
    expect(runStream.data('run')[0]).toMatchObject({ id: run.id, status: 'succeeded' });
    expect(otherFlow.data('run').filter((r) => r.id === run.id)).toEqual([]);
    await otherFlow.close();
  });

  test('an unknown flow or run is 404 before any stream starts', async () => {
    expect(await EventStream.open(`${platform.url}/api/runs/stream?flow=nope`, ADMIN_TOKEN)).toMatchObject({
      status: 404,
      body: { code: 'FLOW_NOT_FOUND' },
    });
    expect(await EventStream.open(`${platform.url}/api/runs/00000000-0000-4000-8000-000000000000/stream`, ADMIN_TOKEN)).toMatchObject({
      status: 404,
      body: { code: 'RUN_NOT_FOUND' },
    });
  });
});

describe('listing and detail', () => {
  let succeeded: any;
  let failed: any;

  beforeAll(async () => {
    const ok = await platform.deliver('issues', issueOpened(nextIssue++, 'Listed'));
    succeeded = await runOf(ok.body.eventId, 'succeeded');
    const boom = await platform.deliver('issue_comment', boomComment(nextIssue++, 'boom listed'));
    failed = await runOf(boom.body.eventId, 'failed');
  });

  test('GET /api/runs: every flow, newest first, with flow name and event summary, no payload', async () => {
    const { status, body } = await api<any[]>('GET', '/api/runs');
    expect(status).toBe(200);
    expect(new Set(body.map((r) => r.flowName))).toEqual(new Set(['github-chat', 'failing-flow']));
    const created = body.map((r) => r.createdAt as string);
    expect(created).toEqual([...created].sort().reverse());
    const listed = body.find((r) => r.id === failed.id);
    expect(listed).toMatchObject({ flowName: 'failing-flow', status: 'failed', attempts: 2, error: 'boom requested by the comment' });
    expect(listed.event).toMatchObject({
      provider: 'github',
      name: 'issue_comment',
      action: 'created',
      target: `${OWNER}/boom`,
      replayOf: null,
    });
    expect(listed.event).not.toHaveProperty('payload');
    expect(listed).not.toHaveProperty('logs');
  });

  test('filters: status, flow, limit, before; bad values are 400, an unknown flow 404', async () => {
    const byStatus = (await api<any[]>('GET', '/api/runs?status=failed')).body;
    expect(byStatus.length).toBeGreaterThan(0);
    expect(byStatus.every((r) => r.status === 'failed')).toBe(true);
    const byFlow = (await api<any[]>('GET', '/api/runs?flow=github-chat')).body;
    expect(byFlow.length).toBeGreaterThan(0);
    expect(byFlow.every((r) => r.flowName === 'github-chat')).toBe(true);
    expect((await api<any[]>('GET', '/api/runs?limit=1')).body).toHaveLength(1);
    const all = (await api<any[]>('GET', '/api/runs')).body;
    const older = (await api<any[]>('GET', `/api/runs?before=${encodeURIComponent(all[0].createdAt)}`)).body;
    expect(older.map((r) => r.id)).toEqual(all.slice(1).map((r) => r.id));
    const perFlow = (await api<any[]>('GET', '/api/flows/failing-flow/runs?status=failed&limit=1')).body;
    expect(perFlow).toEqual([expect.objectContaining({ flowName: 'failing-flow', status: 'failed' })]);

    expect((await api('GET', '/api/runs?flow=nope')).status).toBe(404);
    expect((await api('GET', '/api/runs?status=exploded')).status).toBe(400);
    expect((await api('GET', '/api/runs?before=yesterday')).status).toBe(400);
    expect((await api('GET', '/api/runs?limit=many')).status).toBe(400);
  });

  test('GET /api/runs/:id: the event with its payload as delivered, and the log lines', async () => {
    const { status, body } = await api('GET', `/api/runs/${succeeded.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: succeeded.id, flowName: 'github-chat', status: 'succeeded' });
    expect(body.event.payload.issue).toMatchObject({ title: 'Listed', body: 'body' });
    expect(body.event.payload.repository.full_name).toBe(`${OWNER}/hello`);
    expect(body.logs.map((l: any) => l.message)).toContain('handled by 1 handler(s)');
  });

  test('the secret used by the run shows its kind and the flow that used it last', async () => {
    const { body } = await api<any[]>('GET', '/api/secrets');
    expect(body).toEqual([
      expect.objectContaining({ name: 'openai', kind: 'llm', lastUsedBy: 'github-chat', lastUsedAt: expect.any(String) }),
    ]);
    expect(Date.parse(body[0].lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(succeeded.startedAt) - 1000);
  });
});

describe('replay', () => {
  let failed: any;
  let original: any;

  beforeAll(async () => {
    const boom = await platform.deliver('issue_comment', boomComment(nextIssue++, 'boom replay'));
    failed = await runOf(boom.body.eventId, 'failed');
    original = (await api('GET', `/api/runs/${failed.id}`)).body;
  });

  test('a failed run: a copy of its event (own delivery id, replayOf) run again by its flow', async () => {
    const res = await api('POST', `/api/runs/${failed.id}/replay`);
    expect(res.status).toBe(202);
    expect(res.body.runs).toHaveLength(1);
    const [replayed] = res.body.runs;
    expect(replayed).toMatchObject({ flowId: failed.flowId, flowName: 'failing-flow', status: 'queued' });
    expect(replayed.id).not.toBe(failed.id);
    expect(replayed.eventId).not.toBe(failed.eventId);
    expect(replayed.event).toMatchObject({ name: 'issue_comment', action: 'created', target: `${OWNER}/boom`, replayOf: failed.eventId });
    expect(replayed.event.deliveryId).toMatch(new RegExp(`^${original.event.deliveryId}:replay:[0-9a-f]+$`));

    const done = await runOf(replayed.eventId, 'failed');
    expect(done).toMatchObject({ attempts: 2, error: 'boom requested by the comment' });
    const detail = (await api('GET', `/api/runs/${replayed.id}`)).body;
    expect(detail.event.payload).toEqual(original.event.payload);
    expect((await api('GET', `/api/runs/${failed.id}`)).body).toMatchObject({ status: 'failed', attempts: 2 });
  });

  test('many runs at once; an unknown id among them replays nothing (404)', async () => {
    const ok = await platform.deliver('issues', issueOpened(nextIssue++, 'Bulk'));
    const succeeded = await runOf(ok.body.eventId, 'succeeded');
    const before = (await api<any[]>('GET', '/api/runs?limit=200')).body.length;

    const refused = await api('POST', '/api/runs/replay', { ids: [failed.id, '00000000-0000-4000-8000-000000000000'] });
    expect(refused).toMatchObject({ status: 404, body: { code: 'RUN_NOT_FOUND' } });
    expect((await api('POST', '/api/runs/replay', { ids: [] })).status).toBe(400);
    expect((await api<any[]>('GET', '/api/runs?limit=200')).body).toHaveLength(before);

    const res = await api('POST', '/api/runs/replay', { ids: [succeeded.id, failed.id] });
    expect(res.status).toBe(202);
    expect(res.body.runs.map((r: any) => [r.flowName, r.event.replayOf])).toEqual([
      ['github-chat', succeeded.eventId],
      ['failing-flow', failed.eventId],
    ]);
    await runOf(res.body.runs[0].eventId, 'succeeded');
    await runOf(res.body.runs[1].eventId, 'failed');
  });

  test('an event: the copy is routed again to the subscribed flows', async () => {
    const number = nextIssue++;
    const ok = await platform.deliver('issues', issueOpened(number, 'Again'));
    await runOf(ok.body.eventId, 'succeeded');
    await waitFor('the first answer', () => platform.github.comments.filter((c) => c.issue_number === number).length === 1);

    const res = await api('POST', `/api/events/${ok.body.eventId}/replay`);
    expect(res.status).toBe(202);
    expect(res.body.runs).toEqual([
      expect.objectContaining({ flowName: 'github-chat', event: expect.objectContaining({ replayOf: ok.body.eventId }) }),
    ]);
    await runOf(res.body.runs[0].eventId, 'succeeded');
    await waitFor('the second answer', () => platform.github.comments.filter((c) => c.issue_number === number).length === 2);
    expect((await api('POST', '/api/events/00000000-0000-4000-8000-000000000000/replay')).status).toBe(404);
  });

  test("another owner's run or event is 404 on detail, stream and replay, and absent from listings", async () => {
    expect((await platform.requestAs(bob, 'GET', `/api/runs/${failed.id}`)).status).toBe(404);
    expect(await EventStream.open(`${platform.url}/api/runs/${failed.id}/stream`, bob)).toMatchObject({ status: 404 });
    expect((await platform.requestAs(bob, 'POST', `/api/runs/${failed.id}/replay`)).status).toBe(404);
    expect((await platform.requestAs(bob, 'POST', '/api/runs/replay', { ids: [failed.id] })).status).toBe(404);
    expect((await platform.requestAs(bob, 'POST', `/api/events/${failed.eventId}/replay`)).status).toBe(404);
    expect(await platform.requestAs(bob, 'GET', '/api/runs')).toEqual({ status: 200, body: [] });
    expect((await platform.requestAs(bob, 'GET', '/api/runs?flow=failing-flow')).status).toBe(404);
    expect((await api('GET', `/api/runs/${failed.id}`)).status).toBe(200);
  });

  test('a run of a flow without a live deployment is 409 with a plain reason', async () => {
    expect((await api('DELETE', '/api/flows/failing-flow')).status).toBe(204);
    const res = await api('POST', `/api/runs/${failed.id}/replay`);
    expect(res).toMatchObject({ status: 409, body: { statusCode: 409, code: 'FLOW_NOT_DEPLOYED' } });
    expect(res.body.message).toContain('failing-flow has no live deployment');
  });
});
