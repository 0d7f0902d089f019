/**
 * Per-owner fairness end to end through the real api and worker processes on PostgreSQL and Redis,
 * with GitHub sign-in: alice and bob sign in, each connects their own installation of the App and
 * deploys a flow on their own repository. With FLOW_OWNER_CONCURRENCY=2 and RUN_PARTITIONS=8, alice
 * sends a burst of 8 comments, one per run partition, to a flow that hangs 8 s in every run: without
 * the cap her runs would hold all 8 lanes for 8 s. Bob's quick flow must still answer within 3 s, at
 * most 2 of alice's runs may be `running` at once, and each of hers must succeed exactly once, the
 * put-backs (BullMQ DelayedError) not counting as attempts.
 *
 * A lane (partition) that one of alice's two running runs holds stays held: the cap frees the other
 * lanes, not those. Bob's run is therefore sent to a partition where alice's run is waiting, and a
 * second comment of bob's to a partition that a running run holds is only measured, not bounded.
 */
import { randomBytes } from 'node:crypto';
import { runsPartitionFor } from '@openflows/common';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { hostileBundle } from '@openflows/test-support/hostile';
import { INSTALLATION_ID, INSTALLATION_MEMBER, Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { visibleBody } from '@openflows/test-support/github-stand-in';

const OAUTH = { clientId: 'Iv23liE2eFairness1', clientSecret: 'e2e-oauth-client-secret' };
const PARTITIONS = 8;
const PER_OWNER = 2;
const HANG_MS = 8_000;
const BURST = PARTITIONS;
const BOB_BOUND_MS = 3_000;
const ALICE = { org: 'octo-org', repo: 'hang', installation: INSTALLATION_ID };
const BOB = { org: 'bob-org', repo: 'quick', installation: INSTALLATION_ID + 1 };
type Repo = typeof ALICE;

/** Hangs `hang_ms` in every run, then comments `done` on the issue. */
const HANGING_FLOW = `'use strict';
const sdk = require('@openflows/sdk');
exports.run = async () => {
  await sdk.listenToEvent(sdk.github.repo(sdk.env('owner'), sdk.env('repo')), 'issue_comment', async (event) => {
    await new Promise((resolve) => setTimeout(resolve, Number(sdk.env('hang_ms'))));
    await sdk.github.issues.createComment({ ...sdk.github.context.repo, issue_number: event.payload.issue.number, body: 'done' });
  });
};
`;

interface RunView {
  id: string;
  eventId: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

jest.setTimeout(120_000);

let platform: Platform;
let alice: string;
let bob: string;
let aliceFlow: { id: string };
let bobFlow: { id: string };
const report: string[] = [];

/** Connects installation `id` as `token`'s user, as GitHub calls the Setup URL after installing. */
async function connectInstallation(token: string, id: number): Promise<void> {
  const res = await platform.connectInstallation(await platform.connectStart(token), id);
  if (res.status !== 200) throw new Error(`connecting installation ${id} failed: ${res.status} ${await res.text()}`);
}

async function deploy(token: string, name: string, code: string, repo: Repo, env: Record<string, string> = {}) {
  const res = await platform.requestAs(token, 'POST', '/api/flows', { name, code, env: { owner: repo.org, repo: repo.repo, ...env } });
  expect(res).toMatchObject({ status: 201, body: { name, status: 'running' } });
  return res.body as { id: string };
}

/** Delivers a signed `issue_comment.created` on `repo` issue `number`; @returns the event id and when it was accepted. */
async function comment(repo: Repo, number: number, body: string) {
  const payload = withInstallation(withRepo(examplePayload('issue_comment', 'created'), repo.org, repo.repo), repo.installation);
  payload.issue.number = number;
  Object.assign(payload.comment, { id: Math.floor(Math.random() * 1e9), body });
  Object.assign(payload.comment.user, { login: 'mallory', type: 'User' });
  const res = await platform.deliver('issue_comment', payload);
  if (res.status !== 202) throw new Error(`delivery failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { eventId: res.body.eventId as string, at: Date.now() };
}

const partitionOf = (flowId: string, repo: Repo, number: number) =>
  runsPartitionFor(flowId, `${repo.org}/${repo.repo}#${number}`, PARTITIONS);
const commentsOn = (repo: Repo, number: number) =>
  platform.github.comments.filter((c) => c.repo === repo.repo && c.issue_number === number);
const aliceRuns = async () => (await platform.requestAs(alice, 'GET', '/api/runs')).body as RunView[];

/** The first issue number from `from` whose conversation of `flowId` lands in a partition `accept`s. */
function issueIn(flowId: string, repo: Repo, from: number, accept: (partition: number) => boolean): number {
  for (let n = from; n < from + 1_000; n++) if (accept(partitionOf(flowId, repo, n))) return n;
  throw new Error(`no issue of ${repo.org}/${repo.repo} from #${from} lands in an acceptable partition`);
}

/** The most runs whose [startedAt, finishedAt] overlap at one instant (a run ends before another starts at the same ms). */
function maxOverlap(runs: RunView[]): number {
  const edges = runs.flatMap((r) => [
    { at: Date.parse(r.startedAt!), delta: 1 },
    { at: Date.parse(r.finishedAt!), delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (now += edge.delta));
  return max;
}

beforeAll(async () => {
  platform = await Platform.start({
    mode: 'separate',
    repositories: [`${ALICE.org}/${ALICE.repo}`],
    oauth: OAUTH,
    env: {
      MASTER_KEY: randomBytes(32).toString('base64'),
      PUBLIC_URL: 'https://flows.example.test',
      FLOW_OWNER_CONCURRENCY: String(PER_OWNER),
      RUN_PARTITIONS: String(PARTITIONS),
      FLOW_WALL_MS: String(HANG_MS + 10_000),
    },
  });
  platform.github.installations.set(BOB.installation, {
    account: BOB.org,
    repository_selection: 'selected',
    repositories: [`${BOB.org}/${BOB.repo}`],
    members: [INSTALLATION_MEMBER],
  });
});

afterAll(async () => {
  process.stdout.write(`owner fairness:\n${report.join('\n')}\n`);
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

test('alice and bob sign in, each connects their own installation and deploys a running flow on their own repository', async () => {
  alice = await platform.signIn('alice');
  bob = await platform.signIn('bob');
  await connectInstallation(alice, ALICE.installation);
  await connectInstallation(bob, BOB.installation);
  aliceFlow = await deploy(alice, 'hang', HANGING_FLOW, ALICE, { hang_ms: String(HANG_MS) });
  bobFlow = await deploy(bob, 'quick', hostileBundle('bystander.js'), BOB);
  expect((await platform.requestAs(bob, 'GET', '/api/flows')).body.map((f: { name: string }) => f.name)).toEqual(['quick']);
});

describe("alice's burst of hanging runs against bob's quick flow", () => {
  const burst: { number: number; eventId: string }[] = [];
  let burstStartedAt = 0;
  let maxRunningPolled = 0;
  let polls = 0;
  let finished: RunView[] = [];

  test(`bob's flow answers within ${BOB_BOUND_MS} ms in a lane alice's waiting run was put back from`, async () => {
    // One issue per partition, so without the cap alice's runs would take every lane.
    const issues = Array.from({ length: PARTITIONS }, (_, p) => issueIn(aliceFlow.id, ALICE, 1, (q) => q === p));
    expect(new Set(issues.map((n) => partitionOf(aliceFlow.id, ALICE, n))).size).toBe(PARTITIONS);
    burstStartedAt = Date.now();
    for (const number of issues) burst.push({ number, ...(await comment(ALICE, number, `hang ${number}`)) });
    const ours = (runs: RunView[]) => runs.filter((r) => burst.some((b) => b.eventId === r.eventId));

    // Polled while the burst drains; waitFor polls every 100 ms plus the request's time.
    const drained = waitFor(
      "alice's burst to drain",
      async () => {
        const runs = ours(await aliceRuns());
        polls++;
        maxRunningPolled = Math.max(maxRunningPolled, runs.filter((r) => r.status === 'running').length);
        return runs.length === BURST && runs.every((r) => r.status === 'succeeded' || r.status === 'failed') && runs;
      },
      (BURST / PER_OWNER) * (HANG_MS + 5_000) + 10_000,
    );
    drained.catch(() => undefined);

    const running = await waitFor(`${PER_OWNER} of alice's runs to be running`, async () => {
      const now = ours(await aliceRuns()).filter((r) => r.status === 'running');
      return now.length >= PER_OWNER && now;
    });
    const held = new Set(running.map((r) => partitionOf(aliceFlow.id, ALICE, burst.find((b) => b.eventId === r.eventId)!.number)));
    const free = issueIn(bobFlow.id, BOB, 1, (p) => !held.has(p));
    const blocked = issueIn(bobFlow.id, BOB, free + 1, (p) => held.has(p));

    const quick = await comment(BOB, free, 'ping');
    const late = await comment(BOB, blocked, 'ping behind a hung run');
    await waitFor(`bob's answer on #${free}`, () => commentsOn(BOB, free).length > 0, BOB_BOUND_MS);
    const bobMs = Date.now() - quick.at;
    report.push(
      `bob's run in partition ${partitionOf(bobFlow.id, BOB, free)} (alice's run there waiting, partitions ${[...held]} held by her running runs) ` +
        `answered ${bobMs} ms after delivery, ${quick.at - burstStartedAt} ms into the burst`,
    );
    expect(bobMs).toBeLessThanOrEqual(BOB_BOUND_MS);

    await waitFor(`bob's answer on #${blocked}`, () => commentsOn(BOB, blocked).length > 0, HANG_MS + 5_000);
    report.push(
      `bob's second run, in partition ${partitionOf(bobFlow.id, BOB, blocked)} held by alice's running run, answered ${Date.now() - late.at} ms after delivery`,
    );
    finished = await drained;
    const bobRuns = (await platform.requestAs(bob, 'GET', '/api/runs')).body as RunView[];
    expect(bobRuns.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });

  test(`never more than ${PER_OWNER} of alice's runs are running at once`, () => {
    const overlap = maxOverlap(finished);
    report.push(`max running polled ${maxRunningPolled} over ${polls} polls; max overlap of startedAt..finishedAt ${overlap}`);
    expect({ maxRunningPolled, overlap }).toEqual({ maxRunningPolled: PER_OWNER, overlap: PER_OWNER });
  });

  test('each of her runs succeeded exactly once: one run, one attempt, one comment per issue; put-backs were no attempts', async () => {
    const runs = await aliceRuns();
    const perIssue = await Promise.all(
      burst.map(async ({ number, eventId }) => {
        const own = runs.filter((r) => r.eventId === eventId);
        const detail = (await platform.requestAs(alice, 'GET', `/api/runs/${own[0].id}`)).body as { logs: { message: string }[] };
        const partition = partitionOf(aliceFlow.id, ALICE, number);
        const job = await platform.redis.hgetall(`${platform.prefix}:runs-${partition}:${eventId}.${aliceFlow.id}`);
        return {
          runs: own.length,
          status: own[0].status,
          attempts: own[0].attempts,
          attemptLines: detail.logs.filter((l) => /^attempt \d+ of \d+:/.test(l.message)).length,
          comments: commentsOn(ALICE, number).map((c) => visibleBody(c.body)),
          jobAttemptsMade: Number(job.atm),
          startedByWorker: Number(job.ats),
        };
      }),
    );
    const putBacks = perIssue.reduce((sum, i) => sum + i.startedByWorker - 1, 0);
    report.push(
      `put-backs (BullMQ attemptsStarted - 1) per run: ${perIssue.map((i) => i.startedByWorker - 1).join(', ')}; total ${putBacks}`,
    );
    expect(perIssue.map(({ startedByWorker: _, ...rest }) => rest)).toEqual(
      burst.map(() => ({ runs: 1, status: 'succeeded', attempts: 1, attemptLines: 1, comments: ['done'], jobAttemptsMade: 1 })),
    );
    // With 8 runs and 2 slots, 6 of them must have been picked up and put back at least once.
    expect(perIssue.filter((i) => i.startedByWorker > 1).length).toBeGreaterThanOrEqual(BURST - PER_OWNER);
  });

  test(`the burst drains in about ${BURST / PER_OWNER} × ${HANG_MS} ms: slots are the bound, and freed ones are reused promptly`, () => {
    const lastFinished = Math.max(...finished.map((r) => Date.parse(r.finishedAt!)));
    const tookMs = lastFinished - burstStartedAt;
    const durations = finished.map((r) => r.durationMs!);
    report.push(`burst of ${BURST} took ${tookMs} ms (first delivery → last run finished); run durations ${durations.join(', ')} ms`);
    expect(durations.every((d) => d >= HANG_MS)).toBe(true);
    expect(tookMs).toBeGreaterThanOrEqual((BURST / PER_OWNER) * HANG_MS);
    expect(tookMs).toBeLessThanOrEqual((BURST / PER_OWNER) * HANG_MS + 8_000);
  });
});
