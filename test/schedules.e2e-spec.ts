/**
 * Schedules end to end: the real api and two worker processes on PostgreSQL and one Redis.
 * test/fixtures/flows/ticker ticks every second: one run per tick whatever the number of workers, no
 * tick while paused or undeployed, and at most one catch-up tick after the workers were down.
 */
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Platform, REDIS_URL } from '@openflows/test-support/platform';
import type { PlatformProcess } from '@openflows/test-support/processes';
import { waitFor } from '@openflows/test-support/processes';

const FLOW = join(__dirname, 'fixtures/flows/ticker');
const EVERY_MS = 1000;

jest.setTimeout(90_000);

let platform: Platform;
let firstWorker: PlatformProcess;
let schedules: Queue;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ticker's runs, each with the due time of its tick (from the tick's delivery id `<scheduler>@<ms>`). */
async function ticks(): Promise<{ id: string; status: string; dueMs: number; createdMs: number }[]> {
  const runs = await platform.runs('ticker');
  return runs.map((run) => ({
    id: run.id,
    status: run.status,
    dueMs: Number(String(run.event.deliveryId).split('@')[1]),
    createdMs: Date.parse(run.createdAt),
  }));
}

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [] });
  firstWorker = platform.worker!;
  await platform.startWorker();
  schedules = new Queue('schedules', { connection: { url: REDIS_URL } as never, prefix: platform.prefix });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await schedules?.close();
  await firstWorker?.stop();
  await platform?.stop();
});

test('a schedule BullMQ could not run fails the deploy with FLOW_INVALID', async () => {
  const code = `"use strict";
const { listenToEvent, schedule } = require("@openflows/sdk");
exports.run = async function run() { await listenToEvent(schedule.cron("0 99 * * *"), ["tick"], () => undefined); };`;
  const res = await platform.request('POST', '/api/flows', { name: 'bad-schedule', code });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 'FLOW_INVALID', message: expect.stringContaining('invalid cron expression') });
});

test('deployed: GET /api/flows/:name lists the schedules with their next tick', async () => {
  await platform.deploy(FLOW, { every_ms: String(EVERY_MS) });
  const view = (await platform.request('GET', '/api/flows/ticker')).body;
  const byExpression = Object.fromEntries(view.schedules.map((s: { expression: string }) => [s.expression, s]));
  expect(byExpression[`every ${EVERY_MS} ms`]).toMatchObject({ timezone: 'UTC', nextRunAt: expect.any(String) });
  const cron = byExpression['0 9 * * 1-5'];
  expect(cron.timezone).toBe('Europe/Paris');
  const next = new Date(cron.nextRunAt);
  expect(next.getTime()).toBeGreaterThan(Date.now());
  const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(
    next,
  );
  expect(paris).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/);
});

test('every tick runs the flow exactly once across two workers, in order of its due time', async () => {
  await waitFor('five ticks', async () => (await ticks()).filter((t) => t.status === 'succeeded').length >= 5, 20_000);
  const due = (await ticks()).map((t) => t.dueMs).sort((a, b) => a - b);
  expect(new Set(due).size).toBe(due.length);
  for (let i = 1; i < due.length; i += 1) expect(due[i] - due[i - 1]).toBe(EVERY_MS);
});

test('paused: no tick and no next run; resumed: ticking again', async () => {
  expect((await platform.request('POST', '/api/flows/ticker/pause')).status).toBe(200);
  await sleep(500);
  const atPause = (await ticks()).length;
  await sleep(2.5 * EVERY_MS);
  expect((await ticks()).length).toBe(atPause);
  const view = (await platform.request('GET', '/api/flows/ticker')).body;
  expect(view.schedules.every((s: { nextRunAt?: string }) => s.nextRunAt === undefined)).toBe(true);
  expect(await schedules.getJobSchedulersCount()).toBe(0);
  expect((await platform.request('POST', '/api/flows/ticker/resume')).status).toBe(200);
  await waitFor('a tick after resuming', async () => (await ticks()).length > atPause, 10_000);
});

test('after the workers were down, one catch-up tick, then the schedule again', async () => {
  await Promise.all([firstWorker.stop(), platform.worker!.stop()]);
  const stoppedAt = Date.now();
  await sleep(500);
  const before = new Set((await ticks()).map((t) => t.id));
  await sleep(3.5 * EVERY_MS);
  firstWorker = await platform.startWorker();
  await sleep(3 * EVERY_MS);
  const after = (await ticks()).filter((t) => !before.has(t.id));
  const late = after.filter((t) => t.createdMs - t.dueMs > EVERY_MS);
  expect(late).toHaveLength(1);
  expect(late[0].dueMs).toBeGreaterThan(stoppedAt - EVERY_MS);
  // The ticks missed while down are not run, one each: after the catch-up the schedule goes on from now.
  const onTime = after.filter((t) => t.createdMs - t.dueMs <= EVERY_MS);
  expect(onTime.length).toBeGreaterThanOrEqual(1);
  expect(Math.min(...onTime.map((t) => t.dueMs))).toBeGreaterThan(stoppedAt + 3 * EVERY_MS);
});

test('undeployed: the scheduler is removed and no tick follows', async () => {
  expect((await platform.request('DELETE', '/api/flows/ticker')).status).toBe(204);
  expect(await schedules.getJobSchedulersCount()).toBe(0);
  await sleep(500);
  const atUndeploy = (await ticks()).length;
  await sleep(2.5 * EVERY_MS);
  expect((await ticks()).length).toBe(atUndeploy);
});
