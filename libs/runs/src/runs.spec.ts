import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { examplePayload } from '@openflows/test-support/github-webhooks';
import { TEST_REDIS_URL, useTestRedis } from '@openflows/test-support/redis';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import { Queue } from 'bullmq';
import { firstValueFrom, filter, take, toArray, timeout } from 'rxjs';
import {
  APP_CONFIG,
  REDIS,
  bullConnection,
  loadConfig,
  runJobId,
  runsPartitionFor,
  runsQueueName,
  type AppConfig,
} from '@openflows/common';
import { DATABASE, EventsRepository, FlowsRepository, RunsRepository, UsersRepository } from '@openflows/db';
import { RunDispatchService, RunQueues } from './run-dispatch.service';
import { RunUpdatesPublisher, RunUpdatesSubscriber, runUpdatesChannel, runWatchersKey, type RunUpdate } from './run-updates';

describe('run dispatch and live updates (real Redis, PostgreSQL and BullMQ)', () => {
  const testRedis = useTestRedis('runs');
  let database: TestDatabase;
  let dataDir: string;
  let config: AppConfig;
  let app: TestingModule;
  let subscriber: RunUpdatesSubscriber;
  let stopWatching: () => void;
  let ownerId: string;

  const configFor = (prefix: string) => loadConfig({ DATA_DIR: dataDir, REDIS_PREFIX: prefix, RUN_PARTITIONS: '2' });

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    dataDir = mkdtempSync(join(tmpdir(), 'openflows-runs-'));
    config = configFor(testRedis.prefix);
    app = await Test.createTestingModule({
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: REDIS, useValue: testRedis.redis },
        { provide: DATABASE, useValue: database.handle.db },
        RunsRepository,
        RunDispatchService,
        RunQueues,
        RunUpdatesPublisher,
        RunUpdatesSubscriber,
      ],
    }).compile();
    await app.init();
    subscriber = app.get(RunUpdatesSubscriber);
    // A client of live updates is watching, as the api's streams do; one test below goes without.
    stopWatching = await subscriber.watch();
    ownerId = (await new UsersRepository(database.handle.db).local()).id;
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    stopWatching?.();
    await app?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A recorded `issues.opened` event and a deployed flow listening to it. */
  async function eventAndFlow() {
    const event = await new EventsRepository(database.handle.db).record({
      provider: 'github',
      deliveryId: randomUUID(),
      name: 'issues',
      action: 'opened',
      target: 'octo/hello',
      conversationKey: 'octo/hello#1',
      payload: examplePayload('issues', 'opened'),
    });
    const { flow, deployment } = await new FlowsRepository(database.handle.db).deploy({
      ownerId,
      name: `flow-${randomUUID().slice(0, 8)}`,
      bundle: 'exports.run = async () => {};',
      env: {},
      subscriptions: [{ provider: 'github', target: 'octo/hello', event: 'issues' }],
    });
    return { event, flow, match: { flowId: flow.id, deploymentId: deployment!.id } };
  }

  const updatesOf = (runId: string, count: number) =>
    firstValueFrom(
      subscriber.updates.pipe(
        filter((u) => u.runId === runId),
        take(count),
        toArray(),
        timeout(5000),
      ),
    );

  it('dispatches: a queued run, announced, and its job on the partition of its conversation', async () => {
    const { event, flow, match } = await eventAndFlow();
    const heard = firstValueFrom(
      subscriber.updates.pipe(
        filter((u) => u.flowId === flow.id),
        timeout(5000),
      ),
    );

    const [run] = await app.get(RunDispatchService).dispatch(event, [match]);

    expect(run).toMatchObject({ eventId: event.id, flowId: flow.id, status: 'queued' });
    expect(await heard).toMatchObject({
      type: 'run',
      ownerId,
      runId: run.id,
      status: 'queued',
      run: { id: run.id, flowName: flow.name, event: { id: event.id, deliveryId: event.deliveryId, replayOf: null } },
    });
    const queue = new Queue(runsQueueName(runsPartitionFor(flow.id, event.conversationKey, 2)), {
      connection: bullConnection(TEST_REDIS_URL, 'worker'),
      prefix: testRedis.prefix,
    });
    const job = await queue.getJob(runJobId(event.id, flow.id));
    expect(job?.data).toEqual({ runId: run.id });
    expect(job?.opts.attempts).toBe(config.runs.attempts);

    const again = await app.get(RunDispatchService).dispatch(event, [match]);
    expect(again.map((r) => r.id)).toEqual([run.id]);
    expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    await queue.close();
  });

  it('publishes status changes and log lines, JSON on the wire (dates as ISO strings)', async () => {
    const { event, match } = await eventAndFlow();
    const runs = new RunsRepository(database.handle.db);
    const [run] = await runs.createQueued(event.id, [match]);
    await runs.startAttempt(run.id, 1, new Date('2025-01-01T10:00:00Z'));
    const heard = updatesOf(run.id, 2);
    const publisher = app.get(RunUpdatesPublisher);

    await publisher.publishRuns([run.id, randomUUID()]);
    publisher.publishLog({ ownerId, runId: run.id, flowId: run.flowId }, 1, {
      level: 'warn',
      message: 'careful',
      fields: { n: 1 },
      at: new Date('2025-01-01T10:00:00.500Z'),
    });

    const [status, line] = (await heard) as [Extract<RunUpdate, { type: 'run' }>, Extract<RunUpdate, { type: 'log' }>];
    expect(status).toMatchObject({ type: 'run', status: 'running', run: { status: 'running', attempts: 1 } });
    expect(status.run.startedAt).toBe('2025-01-01T10:00:00.000Z');
    expect(line).toEqual({
      type: 'log',
      ownerId,
      runId: run.id,
      flowId: run.flowId,
      line: { attempt: 1, level: 'warn', message: 'careful', fields: { n: 1 }, at: '2025-01-01T10:00:00.500Z' },
    });
  });

  it('keeps platforms with other prefixes apart: their channel is another', async () => {
    const otherConfig = configFor(`${testRedis.prefix}-other`);
    expect(runUpdatesChannel(otherConfig)).toBe(`${testRedis.prefix}-other:run-updates`);
    const other = new RunUpdatesSubscriber(otherConfig, app.get(REDIS));
    await other.onModuleInit();
    const heard: RunUpdate[] = [];
    other.updates.subscribe((u) => heard.push(u));
    const { event, match } = await eventAndFlow();
    const [run] = await new RunsRepository(database.handle.db).createQueued(event.id, [match]);
    const ours = updatesOf(run.id, 1);

    await app.get(RunUpdatesPublisher).publishRuns([run.id]);

    expect(await ours).toHaveLength(1);
    expect(heard).toEqual([]);
    await other.onApplicationShutdown();
  });

  it('reads and publishes nothing about runs while no api has live-update clients', async () => {
    const { event, match } = await eventAndFlow();
    const [run] = await new RunsRepository(database.handle.db).createQueued(event.id, [match]);
    stopWatching();
    await testRedis.redis.del(runWatchersKey(config));
    const heard: RunUpdate[] = [];
    const listening = subscriber.updates.pipe(filter((u) => u.runId === run.id)).subscribe((u) => heard.push(u));

    await app.get(RunUpdatesPublisher).publishRuns([run.id]);
    // A publish would have arrived by the time a later one does.
    stopWatching = await subscriber.watch();
    const later = updatesOf(run.id, 1);
    await app.get(RunUpdatesPublisher).publishRuns([run.id]);
    await later;

    listening.unsubscribe();
    expect(heard).toHaveLength(1);
  });
});
