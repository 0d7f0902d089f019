import { CREATE_TEST_DATABASE_TIMEOUT_MS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { randomUUID } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { TEST_REDIS_URL } from '@openflows/test-support/redis';
import { EVENTS_QUEUE, type RouteEventJob } from '@openflows/common';
import { EventsRepository } from '@openflows/db';
import { SCHEDULES_QUEUE, TICK_JOB, type ScheduleTickJob } from './schedule-queue';
import { ScheduleTicks } from './schedule-ticks.service';
import { schedulerId } from './schedules';

const OWNER = randomUUID();
const TARGET = 'every 60000';

describe('ScheduleTicks (real BullMQ job schedulers, PGlite)', () => {
  const prefix = `test-ticks-${randomUUID()}`;
  let database: TestDatabase;
  let schedules: Queue<ScheduleTickJob>;
  let events: Queue<RouteEventJob>;
  let ticks: ScheduleTicks;
  let repository: EventsRepository;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    const connection = { url: TEST_REDIS_URL } as never;
    schedules = new Queue(SCHEDULES_QUEUE, { connection, prefix });
    events = new Queue(EVENTS_QUEUE, { connection, prefix });
    repository = new EventsRepository(database.handle.db);
    ticks = new ScheduleTicks(repository, events);
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await schedules.obliterate({ force: true });
    await events.obliterate({ force: true });
    await Promise.all([schedules.close(), events.close()]);
    await database.drop();
  });

  /** The job BullMQ's scheduler made for the owner's schedule (the next tick's). */
  async function schedulerJob(): Promise<Job<ScheduleTickJob>> {
    const id = schedulerId(OWNER, TARGET);
    await schedules.upsertJobScheduler(
      id,
      { every: 60_000 },
      { name: TICK_JOB, data: { ownerId: OWNER, target: TARGET, options: { every: 60_000 } } },
    );
    const [job] = await schedules.getJobs(['delayed', 'wait']);
    expect(job.id).toMatch(new RegExp(`^repeat:${id}:\\d+$`));
    return job;
  }

  it('records a tick as a schedule event for routing, and drops a duplicate of it', async () => {
    const job = await schedulerJob();
    const first = await ticks.fire(job);
    expect(first.duplicate).toBe(false);
    const event = await repository.findById(first.eventId);
    const dueMs = Number(job.id!.split(':')[2]);
    expect(event).toMatchObject({
      provider: 'schedule',
      name: 'tick',
      target: TARGET,
      deliveryId: `${schedulerId(OWNER, TARGET)}@${dueMs}`,
      conversationKey: schedulerId(OWNER, TARGET),
      status: 'queued',
      payload: { scheduledAt: new Date(dueMs).toISOString(), firedAt: expect.any(String), every: 60_000 },
    });
    expect((await events.getJob(first.eventId))?.data).toEqual({ eventId: first.eventId });

    expect(await ticks.fire(job)).toEqual({ eventId: first.eventId, duplicate: true });
    expect(await events.getJobCounts('wait', 'delayed', 'active')).toEqual({ wait: 1, delayed: 0, active: 0 });
  });
});
