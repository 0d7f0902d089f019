import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { examplePayload } from '@openflows/test-support/github-webhooks';
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { EventsRepository } from './events.repository';
import { FlowsRepository } from './flows.repository';
import { RunsRepository, type AttemptOutcome, type RunLogLine } from './runs.repository';
import { runs as runsTable } from './schema';
import { UsersRepository } from './users.repository';

const at = (iso: string) => new Date(iso);

function outcomeFactory(overrides: Partial<AttemptOutcome> = {}): AttemptOutcome {
  return {
    status: 'succeeded',
    promptTokens: 0,
    completionTokens: 0,
    startedAt: at('2025-01-01T10:00:00.000Z'),
    finishedAt: at('2025-01-01T10:00:01.250Z'),
    ...overrides,
  };
}

const logLine = (message: string, overrides: Partial<RunLogLine> = {}): RunLogLine => ({
  level: 'info',
  message,
  at: at('2025-01-01T10:00:00.500Z'),
  ...overrides,
});

describe.each(TEST_DRIVERS)('RunsRepository (%s)', (driver) => {
  let database: TestDatabase;
  let runs: RunsRepository;
  let flows: FlowsRepository;
  let events: EventsRepository;
  /** The owner of the flows deployed here. */
  let ownerId: string;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    runs = new RunsRepository(database.handle.db);
    flows = new FlowsRepository(database.handle.db);
    events = new EventsRepository(database.handle.db);
    ownerId = (await new UsersRepository(database.handle.db).local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  /** A deployed flow, as a match for `createQueued`. */
  async function deployedFlow() {
    const { flow, deployment } = await flows.deploy({
      ownerId,
      name: `flow-${randomUUID().slice(0, 8)}`,
      bundle: 'exports.run = async () => {};',
      env: {},
      subscriptions: [{ provider: 'github', target: 'octo/hello', event: 'issues' }],
    });
    return { flowId: flow.id, deploymentId: deployment!.id };
  }

  /** A recorded `issues.opened` event (GitHub's example payload). */
  async function recordedEvent() {
    return events.record({
      provider: 'github',
      deliveryId: randomUUID(),
      name: 'issues',
      action: 'opened',
      target: 'octo/hello',
      conversationKey: 'octo/hello#1',
      payload: examplePayload('issues', 'opened'),
    });
  }

  async function queuedRun() {
    const event = await recordedEvent();
    const [run] = await runs.createQueued(event.id, [await deployedFlow()]);
    return run;
  }

  const runsOfEvent = async (eventId: string) =>
    (await database.handle.db.select({ n: count() }).from(runsTable).where(eq(runsTable.eventId, eventId)))[0].n;

  it('creates one queued run per matched flow', async () => {
    const event = await recordedEvent();
    const a = await deployedFlow();
    const b = await deployedFlow();

    const created = await runs.createQueued(event.id, [a, b]);

    expect(created).toHaveLength(2);
    expect(created.map((r) => r.flowId).sort()).toEqual([a.flowId, b.flowId].sort());
    for (const run of created) {
      expect(run).toMatchObject({ eventId: event.id, status: 'queued', attempts: 0, promptTokens: 0, completionTokens: 0, error: null });
    }
  });

  it('returns the existing runs when an event is routed again, creating nothing', async () => {
    const event = await recordedEvent();
    const a = await deployedFlow();
    const first = await runs.createQueued(event.id, [a]);
    await runs.startAttempt(first[0].id, 1, at('2025-01-01T10:00:00Z'));

    const again = await runs.createQueued(event.id, [a]);

    expect(again.map((r) => r.id)).toEqual([first[0].id]);
    expect(again[0].status).toBe('running');
    expect(await runsOfEvent(event.id)).toBe(1);
  });

  it('adds only the missing run when a new flow matches on a second routing', async () => {
    const event = await recordedEvent();
    const a = await deployedFlow();
    const b = await deployedFlow();
    const [runA] = await runs.createQueued(event.id, [a]);

    const both = await runs.createQueued(event.id, [a, b]);

    expect(both).toHaveLength(2);
    expect(both.find((r) => r.flowId === a.flowId)?.id).toBe(runA.id);
    expect(await runsOfEvent(event.id)).toBe(2);
  });

  it('creates nothing without matches', async () => {
    const event = await recordedEvent();
    expect(await runs.createQueued(event.id, [])).toEqual([]);
    expect(await runsOfEvent(event.id)).toBe(0);
  });

  it('records an attempt: running, then its outcome, duration and log lines', async () => {
    const run = await queuedRun();
    await runs.startAttempt(run.id, 1, at('2025-01-01T10:00:00.000Z'));
    expect(await runs.findById(run.id)).toMatchObject({ status: 'running', attempts: 1 });

    await runs.finishAttempt(run.id, 1, outcomeFactory({ promptTokens: 120, completionTokens: 30 }), [
      logLine('first', { level: 'debug' }),
      logLine('second', { fields: { issue: 42 } }),
      logLine('third', { level: 'error' }),
    ]);

    const finished = await runs.findById(run.id);
    expect(finished).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      error: null,
      promptTokens: 120,
      completionTokens: 30,
      durationMs: 1250,
    });
    expect(finished?.finishedAt?.toISOString()).toBe('2025-01-01T10:00:01.250Z');
    const logs = await runs.logs(run.id);
    expect(logs.map((l) => [l.attempt, l.level, l.message, l.fields])).toEqual([
      [1, 'debug', 'first', null],
      [1, 'info', 'second', { issue: 42 }],
      [1, 'error', 'third', null],
    ]);
  });

  it('adds up tokens and cost over attempts, keeps logs of every attempt in order and clears the error on retry', async () => {
    const run = await queuedRun();
    await runs.startAttempt(run.id, 1, at('2025-01-01T10:00:00Z'));
    await runs.finishAttempt(
      run.id,
      1,
      outcomeFactory({ status: 'retrying', error: 'LLM timed out', promptTokens: 100, completionTokens: 0, costUsd: 0.000015 }),
      [logLine('attempt 1 a'), logLine('attempt 1 b', { level: 'error' })],
    );
    expect(await runs.findById(run.id)).toMatchObject({ status: 'retrying', error: 'LLM timed out' });

    await runs.startAttempt(run.id, 2, at('2025-01-01T10:00:05Z'));
    expect(await runs.findById(run.id)).toMatchObject({ status: 'running', attempts: 2, error: null });

    await runs.finishAttempt(run.id, 2, outcomeFactory({ promptTokens: 110, completionTokens: 40, costUsd: 0.0000405 }), [
      logLine('attempt 2 a'),
      logLine('attempt 2 b'),
    ]);

    expect(await runs.findById(run.id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      error: null,
      promptTokens: 210,
      completionTokens: 40,
    });
    expect((await runs.findById(run.id))?.costUsd).toBeCloseTo(0.0000555, 12);
    expect((await runs.logs(run.id)).map((l) => `${l.attempt}: ${l.message}`)).toEqual([
      '1: attempt 1 a',
      '1: attempt 1 b',
      '2: attempt 2 a',
      '2: attempt 2 b',
    ]);
  });

  it('stores a failure with its error and no log lines', async () => {
    const run = await queuedRun();
    await runs.startAttempt(run.id, 3, at('2025-01-01T10:00:00Z'));
    await runs.finishAttempt(run.id, 3, outcomeFactory({ status: 'failed', error: 'Error: boom' }), []);
    expect(await runs.findById(run.id)).toMatchObject({ status: 'failed', attempts: 3, error: 'Error: boom' });
    expect(await runs.logs(run.id)).toEqual([]);
  });

  it("lists a flow's runs, newest first, up to the limit", async () => {
    const flow = await deployedFlow();
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [run] = await runs.createQueued((await recordedEvent()).id, [flow]);
      created.push(run.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await runs.listForFlow(flow.flowId, 10)).map((r) => r.id)).toEqual([...created].reverse());
    expect((await runs.listForFlow(flow.flowId, 2)).map((r) => r.id)).toEqual([created[2], created[1]]);
    expect(await runs.listForFlow(randomUUID(), 10)).toEqual([]);
  });

  it("finds a run for its flow's owner only", async () => {
    const run = await queuedRun();
    const other = await new UsersRepository(database.handle.db).upsert({ provider: 'github', externalId: '2', login: 'hubot' });

    expect((await runs.findOwned(ownerId, run.id))?.id).toBe(run.id);
    expect(await runs.findOwned(other.id, run.id)).toBeUndefined();
  });
  describe('records: runs with flow name, owner and event summary', () => {
    /** A fresh owner with one flow and three runs created 5 ms apart: succeeded, failed, queued (oldest first). */
    async function ownerWithRuns() {
      const users = new UsersRepository(database.handle.db);
      const owner = await users.upsert({ provider: 'github', externalId: randomUUID(), login: `u-${randomUUID().slice(0, 6)}` });
      const { flow, deployment } = await flows.deploy({
        ownerId: owner.id,
        name: 'listed',
        bundle: 'exports.run = async () => {};',
        env: {},
        subscriptions: [{ provider: 'github', target: 'octo/hello', event: 'issues' }],
      });
      const created = [];
      for (const status of ['succeeded', 'failed', 'queued'] as const) {
        const [run] = await runs.createQueued((await recordedEvent()).id, [{ flowId: flow.id, deploymentId: deployment!.id }]);
        if (status !== 'queued') {
          await runs.startAttempt(run.id, 1, at('2025-01-01T10:00:00Z'));
          await runs.finishAttempt(run.id, 1, outcomeFactory({ status, error: status === 'failed' ? 'boom' : undefined }), []);
        }
        created.push((await runs.findById(run.id))!);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { owner, flow, created };
    }

    it("lists an owner's runs newest first with flow name and event summary", async () => {
      const { owner, flow, created } = await ownerWithRuns();
      const listed = await runs.listOwned(owner.id, { limit: 50 });
      expect(listed.map((r) => r.id)).toEqual(created.map((r) => r.id).reverse());
      const event = await events.findById(created[2].eventId);
      expect(listed[0]).toMatchObject({
        flowId: flow.id,
        flowName: 'listed',
        ownerId: owner.id,
        status: 'queued',
        event: {
          id: event!.id,
          provider: 'github',
          name: 'issues',
          action: 'opened',
          target: 'octo/hello',
          deliveryId: event!.deliveryId,
          receivedAt: event!.receivedAt,
          replayOf: null,
        },
      });
      expect(listed[0].event).not.toHaveProperty('payload');
    });

    it('filters by status, flow and before, and honours the limit', async () => {
      const { owner, flow, created } = await ownerWithRuns();
      expect((await runs.listOwned(owner.id, { status: 'failed', limit: 50 })).map((r) => r.id)).toEqual([created[1].id]);
      expect((await runs.listOwned(owner.id, { flowId: flow.id, limit: 2 })).map((r) => r.id)).toEqual([created[2].id, created[1].id]);
      expect(await runs.listOwned(owner.id, { flowId: randomUUID(), limit: 50 })).toEqual([]);
      const before = await runs.listOwned(owner.id, { before: created[2].createdAt, limit: 50 });
      expect(before.map((r) => r.id)).toEqual([created[1].id, created[0].id]);
    });

    it("keeps owners apart: another owner's runs are neither listed nor found", async () => {
      const a = await ownerWithRuns();
      const b = await ownerWithRuns();
      expect((await runs.listOwned(a.owner.id, { limit: 50 })).every((r) => r.ownerId === a.owner.id)).toBe(true);
      expect(await runs.findOwnedRecord(b.owner.id, a.created[0].id)).toBeUndefined();
      expect((await runs.findOwnedRecord(a.owner.id, a.created[0].id))?.flowName).toBe('listed');
      expect(await runs.listOwnedForEvent(b.owner.id, a.created[0].eventId)).toEqual([]);
      expect((await runs.listOwnedForEvent(a.owner.id, a.created[0].eventId)).map((r) => r.id)).toEqual([a.created[0].id]);
      expect(await events.findOwned(b.owner.id, a.created[0].eventId)).toBeUndefined();
      expect((await events.findOwned(a.owner.id, a.created[0].eventId))?.id).toBe(a.created[0].eventId);
    });

    it('finds records by id whoever owns them, leaving unknown ids out', async () => {
      const a = await ownerWithRuns();
      const found = await runs.findRecords([a.created[0].id, randomUUID()]);
      expect(found.map((r) => [r.id, r.ownerId, r.status])).toEqual([[a.created[0].id, a.owner.id, 'succeeded']]);
      expect(await runs.findRecords([])).toEqual([]);
    });

    it("shows a replay's copy with replayOf", async () => {
      const original = await recordedEvent();
      const copy = await events.recordReplay(original);
      const [run] = await runs.createQueued(copy.id, [await deployedFlow()]);
      expect((await runs.findOwnedRecord(ownerId, run.id))?.event.replayOf).toBe(original.id);
    });
  });
});
