/**
 * Flows that misbehave against the real api and worker processes: endless loops (in a handler, at
 * module load, in `run()` at deploy), an await loop, an idle run past its wall time, a memory bomb,
 * deep recursion, log floods and an oversized SDK argument. Each run must end `failed` with its
 * LIMIT_* code in its error and log, within its limit + 2 s, without retries; meanwhile a bystander
 * flow keeps answering within 2 s and the api and worker stay up.
 *
 * The bystander is another flow of the same owner (single-user mode), in its own isolate. The worker
 * runs one job at a time per run partition (libs/common/src/queues.ts): a bystander run in the hostile
 * run's partition would wait for it, so RUN_PARTITIONS is 32 and the bystander's issue numbers are
 * chosen to hash into another partition than the hostile run's.
 */
import { Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import {
  OWNER,
  comment,
  commentsOn,
  deployCode,
  finishedRun,
  hostileBundle,
  issueOutsidePartitionOf,
  runsPartitionFor,
} from '@openflows/test-support/hostile';

const CPU_MS = 1000;
const WALL_MS = 10_000;
const PARTITIONS = 32;
/** The limits flow waits this long after its marker line before misbehaving. */
const LEAD_MS = 300;

jest.setTimeout(120_000);

let platform: Platform;
let limitsFlow: { id: string };
let bystanderFlow: { id: string };
let nextIssue = 1;
let nextBystanderIssue = 1;
const timings: string[] = [];
/** Run id per attack. */
const attacked = new Map<string, string>();

beforeAll(async () => {
  platform = await Platform.start({
    mode: 'separate',
    repositories: ['limits', 'bystander', 'load-loop'].map((repo) => `${OWNER}/${repo}`),
    env: {
      FLOW_CPU_MS: String(CPU_MS),
      FLOW_MEMORY_MB: '32',
      FLOW_WALL_MS: String(WALL_MS),
      RUN_ATTEMPTS: '3',
      RUN_PARTITIONS: String(PARTITIONS),
    },
  });
  await platform.installApp();
  limitsFlow = await deployCode(platform, 'limits', hostileBundle('limits.js'), 'limits');
  bystanderFlow = await deployCode(platform, 'bystander', hostileBundle('bystander.js'), 'bystander');
});

afterAll(async () => {
  process.stdout.write(`isolation limits timings:\n${timings.join('\n')}\n`);
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

/** The bystander answers a comment within 2 s; @returns how long it took (ms). */
async function bystanderAnswers(avoidPartition: number): Promise<number> {
  const number = issueOutsidePartitionOf(bystanderFlow.id, 'bystander', nextBystanderIssue, avoidPartition, PARTITIONS);
  nextBystanderIssue = number + 1;
  const { at } = await comment(platform, 'bystander', number, `ping ${number}`);
  await waitFor(`the bystander's answer on #${number}`, () => commentsOn(platform, 'bystander', number).length > 0, 2_000);
  return Date.now() - at;
}

/** The api answers its health check and neither process has exited. */
async function processesUp(): Promise<void> {
  expect((await fetch(`${platform.url}/health`)).status).toBe(200);
  expect([platform.api.child.exitCode, platform.api.child.signalCode]).toEqual([null, null]);
  expect([platform.worker!.child.exitCode, platform.worker!.child.signalCode]).toEqual([null, null]);
}

/** Delivers `attack` to the limits flow, checks the bystander while it runs; @returns the finished run. */
async function attackRun(attack: string, limitMs: number, waitMs = 3 * (limitMs + LEAD_MS + 2_000) + 5_000) {
  const number = nextIssue++;
  const partition = runsPartitionFor(limitsFlow.id, `${OWNER}/limits#${number}`, PARTITIONS);
  const { eventId, at } = await comment(platform, 'limits', number, attack);
  await waitFor(`the ${attack} run to start`, async () =>
    (await platform.runs('limits')).some((r) => r.eventId === eventId && r.status !== 'queued'),
  );
  const bystanderMs = await bystanderAnswers(partition);
  const run = await finishedRun(platform, 'limits', eventId, waitMs);
  const observedMs = Date.now() - at;
  timings.push(
    `${attack}: run ${run.status} in ${run.durationMs} ms (delivery → seen finished ${observedMs} ms), attempts ${run.attempts}, ` +
      `error ${JSON.stringify(run.error)}; bystander answered in ${bystanderMs} ms`,
  );
  await processesUp();
  attacked.set(attack, run.id);
  return { ...run, observedMs };
}

describe('limits in a handler', () => {
  test.each([
    ['cpu', 'LIMIT_CPU', CPU_MS, `its ${CPU_MS} ms of CPU`],
    ['await-spin', 'LIMIT_CPU', CPU_MS, `its ${CPU_MS} ms of CPU`],
    ['sleep', 'LIMIT_WALL', WALL_MS, `its ${WALL_MS} ms limit`],
    ['memory', 'LIMIT_MEMORY', CPU_MS, 'its 32 MB heap'],
    ['log-flood', 'LIMIT_LOG', CPU_MS, 'log lines'],
    ['log-20k', 'LIMIT_LOG', CPU_MS, 'log lines'],
    ['output', 'LIMIT_OUTPUT', CPU_MS, 'larger than'],
  ])('%s → failed with %s within its limit + 2 s, not retried, bystander answering', async (attack, code, limitMs, says) => {
    // An attempt over its limit + 2 s (the wall case: the configured 10 s) fails the test by timing out here.
    const run = await attackRun(attack, limitMs, attack === 'sleep' ? limitMs + LEAD_MS + 2_000 + 3_000 : undefined);
    // One object, so that a failure shows every broken property at once.
    expect({
      status: run.status,
      attempts: run.attempts,
      errorHasCode: run.error.includes(code),
      errorNamesConfiguredLimit: run.error.includes(says),
      logHasCode: run.lines.some((line) => line.includes(code)),
      marker: run.lines.includes(`info attack ${attack}`),
      withinLimitPlus2s: run.durationMs <= limitMs + LEAD_MS + 2_000,
    }).toEqual({
      status: 'failed',
      attempts: 1,
      errorHasCode: true,
      errorNamesConfiguredLimit: true,
      logHasCode: true,
      marker: true,
      withinLimitPlus2s: true,
    });
  });

  test('the 20,000-line flood keeps at most 1000 of its lines per attempt', async () => {
    const detail = await platform.request('GET', `/api/runs/${attacked.get('log-20k')}`);
    const own = (detail.body.logs as { attempt: number; message: string }[]).filter((l) => l.message.startsWith('line '));
    const perAttempt = new Map<number, number>();
    for (const line of own) perAttempt.set(line.attempt, (perAttempt.get(line.attempt) ?? 0) + 1);
    expect(Math.max(...perAttempt.values())).toBeLessThanOrEqual(1000);
  });

  test('deep recursion fails the run with the RangeError, retried as any flow error', async () => {
    const run = await attackRun('recursion', CPU_MS);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/Maximum call stack size exceeded/);
    expect(run.attempts).toBe(3);
  });

  test('after all that, the limits flow still serves a harmless comment', async () => {
    const run = await attackRun('nothing', CPU_MS);
    expect({ status: run.status, attempts: run.attempts }).toEqual({ status: 'succeeded', attempts: 1 });
  });
});

describe('limits at module load and at deploy', () => {
  test('an endless loop at top level, on the worker → failed with LIMIT_CPU, not retried', async () => {
    // The loop arms itself after the deploy (which loads the module in the api), so the worker meets it.
    const armAt = Date.now() + 3_000;
    const code = `'use strict';\nconst sdk = require('@openflows/sdk');\nif (Date.now() > ${armAt}) for (;;) {}\nexports.run = async () => {\n  await sdk.listenToEvent(sdk.github.repo(sdk.env('owner'), sdk.env('repo')), 'issue_comment', () => undefined);\n};\n`;
    await deployCode(platform, 'load-loop', code, 'load-loop');
    await waitFor('the loop to arm', () => Date.now() > armAt + 100, 5_000);
    const { eventId, at } = await comment(platform, 'load-loop', 1, 'load me');
    const run = await finishedRun(platform, 'load-loop', eventId);
    timings.push(
      `top-level loop: run ${run.status} in ${run.durationMs} ms (seen after ${Date.now() - at} ms), attempts ${run.attempts}, error ${JSON.stringify(run.error)}`,
    );
    expect({
      status: run.status,
      attempts: run.attempts,
      errorHasCode: run.error.includes('LIMIT_CPU'),
      errorNamesConfiguredLimit: run.error.includes(`its ${CPU_MS} ms of CPU`),
      withinLimitPlus2s: run.durationMs <= CPU_MS + 2_000,
    }).toEqual({ status: 'failed', attempts: 1, errorHasCode: true, errorNamesConfiguredLimit: true, withinLimitPlus2s: true });
    await processesUp();
  });

  test.each([
    ['while (true) {} in run()', `exports.run = async () => { while (true) {} };`],
    ['for (;;) {} at top level', `for (;;) {}\nexports.run = async () => {};`],
  ])('%s → the deploy answers 400 naming LIMIT_CPU within a few seconds', async (_what, code) => {
    const started = Date.now();
    const res = await platform.request('POST', '/api/flows', { name: 'deploy-loop', code, env: {} });
    const tookMs = Date.now() - started;
    timings.push(`deploy of ${_what}: ${res.status} in ${tookMs} ms: ${JSON.stringify(res.body)}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('LIMIT_CPU');
    expect(res.body.message).toContain(`its ${CPU_MS} ms of CPU`);
    expect(tookMs).toBeLessThan(CPU_MS + 2_000);
    await processesUp();
    expect(await bystanderAnswers(-1)).toBeLessThan(2_000);
  });
});
