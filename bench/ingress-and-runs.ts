/**
 * End-to-end throughput of the platform on this machine, for one event source:
 *
 * - `--source github` (default): signed GitHub `issue_comment.created` deliveries at
 *   `POST /webhooks/github` → events queue → runs partitions → flows/github-chat → OpenAI stand-in →
 *   GitHub stand-in comment, spread over K issues;
 * - `--source slack`: signed Slack `message` event_callback requests at `POST /webhooks/slack/events`
 *   for a workspace connected through the OAuth install → events queue → runs partitions →
 *   flows/slack-chat → OpenAI stand-in → Slack stand-in `chat.postMessage`, spread over K threads.
 *
 * Starts the built processes exactly as the e2e tests do (test/support/platform.ts), everything on
 * 127.0.0.1. Results and how to read them: docs/benchmarks.md.
 *
 *   node dist/bench/ingress-and-runs.js [--source github|slack] [--mode separate|standalone] [--deliveries N]
 *        [--concurrency C] [--issues K] [--threads K] [--partitions P] [--log-level info] [--timeout-s 600] [--profile]
 *
 * `--profile` samples the platform processes' CPU through the V8 inspector while the load runs and
 * prints where it went (it costs some throughput; leave it off for the numbers).
 *
 * Exits 1 when a delivery is not accepted (GitHub 202, Slack 200), a reply is missing or doubled, or
 * the time limit passes; 2 on bad arguments. Redis keys, the database and temp dirs are removed in every case.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, type Job } from 'bullmq';
import { Client } from 'pg';
import { examplePayload, signedDelivery, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import type { RecordedComment } from '@openflows/test-support/github-stand-in';
import { INSTALLATION_ID, Platform, REDIS_URL, SLACK_SIGNING_SECRET, WEBHOOK_SECRET } from '@openflows/test-support/platform';
import { TEST_POSTGRES_URL } from '@openflows/test-support/postgres';
import { channelMessage, eventCallback, signedSlackRequest } from '@openflows/test-support/slack-events';
import type { PostedMessage } from '@openflows/test-support/slack-stand-in';
import { EVENTS_QUEUE, runsQueueNames } from '../libs/common/src/queues';
import { CpuProfiler, inspectorUrl, summarize } from './cpu-profile';

const OWNER = 'octo-org';
const REPO = 'bench';
const KEY_NAME = 'openai';
/** Comment ids of the deliveries: far above the stand-in's own comment ids (1_000_001 upwards). */
const FIRST_COMMENT_ID = 5_000_000_000;
const FIRST_ISSUE = 1000;
/** The Slack workspace and the channel flows/slack-chat serves (deployed by their names, as a user would). */
const TEAM = { id: 'T0BENCH', name: 'Bench', botUserId: 'U0BOT' };
const CHANNEL = { id: 'C0GENERAL', name: 'general' };

interface Options {
  source: 'github' | 'slack';
  mode: 'separate' | 'standalone';
  deliveries: number;
  concurrency: number;
  issues: number;
  threads: number;
  partitions: number;
  logLevel: string;
  profile: boolean;
  timeoutS: number;
}

/** One delivery as sent and as answered (times in ms, `performance.now()` clock). */
interface Delivery {
  index: number;
  /** The issue (`#1000`) or thread (its `thread_ts`) the delivery belongs to, where its reply must go. */
  conversation: string;
  body: string;
  request: { headers: Record<string, string>; body: string };
  sentAt?: number;
  answeredAt?: number;
  status?: number;
  error?: string;
}

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    'usage: node dist/bench/ingress-and-runs.js [--source github|slack] [--mode separate|standalone] [--deliveries N] [--concurrency C]\n' +
      '       [--issues K] [--threads K] [--partitions P] [--log-level fatal|error|warn|info|debug] [--timeout-s S] [--profile]\n',
  );
  process.exit(2);
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        source: { type: 'string', default: 'github' },
        mode: { type: 'string', default: 'separate' },
        deliveries: { type: 'string', default: '500' },
        concurrency: { type: 'string', default: '20' },
        issues: { type: 'string', default: '50' },
        threads: { type: 'string', default: '50' },
        partitions: { type: 'string', default: '8' },
        'log-level': { type: 'string', default: 'info' },
        profile: { type: 'boolean', default: false },
        'timeout-s': { type: 'string', default: '600' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  if (values.help) usage();
  const int = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
    return n;
  };
  if (values.source !== 'github' && values.source !== 'slack') usage(`--source must be github or slack, got ${values.source}`);
  if (values.mode !== 'separate' && values.mode !== 'standalone') usage(`--mode must be separate or standalone, got ${values.mode}`);
  if (!['fatal', 'error', 'warn', 'info', 'debug'].includes(values['log-level']!))
    usage(`--log-level: unknown level ${values['log-level']}`);
  return {
    source: values.source,
    mode: values.mode,
    deliveries: int('deliveries', values.deliveries!, 1, 100_000),
    concurrency: int('concurrency', values.concurrency!, 1, 1000),
    issues: int('issues', values.issues!, 1, 100_000),
    threads: int('threads', values.threads!, 1, 100_000),
    partitions: int('partitions', values.partitions!, 1, 256),
    logLevel: values['log-level']!,
    profile: values.profile!,
    timeoutS: int('timeout-s', values['timeout-s']!, 10, 3600),
  };
}

/** The repository root: the folder above this file that holds flows/github-chat (source tree or dist/). */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'flows', 'github-chat', 'package.json'))) return dir;
  }
  throw new Error(`no flows/github-chat above ${__dirname}`);
}

/** The commit the platform was built from, and whether its code had uncommitted changes. */
function sourceVersion(root: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['--no-optional-locks', '-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'apps', 'libs', 'flows', 'drizzle', 'package-lock.json');
    return `${root} at ${commit}${dirty ? ' with uncommitted changes in apps/libs/flows' : ''} (dist/ as last built)`;
  } catch {
    return `${root}, not a git checkout (dist/ as last built)`;
  }
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${ms(percentile(sorted, 50))}  p95 ${ms(percentile(sorted, 95))}  p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted.at(-1) ?? NaN)} ms`;
};

/** Peak resident set (VmHWM, MiB) of a live process, or undefined when /proc does not tell. */
function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux
/** User + system CPU seconds of a process so far (/proc/<pid>/stat), 0 when it cannot be read. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/** Pids of every process on the machine whose command name is `comm` (e.g. postgres, redis-server). */
function pidsNamed(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Busy CPU seconds of the whole machine so far, all cores (/proc/stat: everything but idle and iowait). */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

/** CPU seconds of the platform processes, this process, and machine-wide postgres / redis-server. */
function cpuSample(platform: Platform): Record<string, number> {
  const usage = process.cpuUsage();
  const sample: Record<string, number> = {};
  sample[platform.worker ? 'api' : 'standalone'] = cpuSeconds(platform.api.child.pid!);
  if (platform.worker) sample.worker = cpuSeconds(platform.worker.child.pid!);
  sample['bench (client + stand-ins)'] = (usage.user + usage.system) / 1e6;
  sample['postgres (all, machine-wide)'] = pidsNamed('postgres').reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  sample['redis-server (machine-wide)'] = pidsNamed('redis-server').reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  sample['whole machine'] = machineBusySeconds();
  return sample;
}

/** Work counters of the platform's database and of the Redis server, to divide by the deliveries. */
interface StoreCounters {
  /** pg_stat_database of the platform's database (separate mode only). */
  postgres?: { commits: number; inserted: number; updated: number; returned: number };
  /** total_commands_processed of the whole Redis server (other users of it included). */
  redisCommands: number;
}

async function storeCounters(platform: Platform): Promise<StoreCounters> {
  const redisCommands = Number(/total_commands_processed:(\d+)/.exec(await platform.redis.info('stats'))?.[1] ?? NaN);
  // The harness created the database (the processes drop DATABASE_URL from their environment at start).
  const name = platform.databaseUrl ? new URL(platform.databaseUrl).pathname.slice(1) : undefined;
  if (!name) return { redisCommands };
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      'SELECT xact_commit, tup_inserted, tup_updated, tup_returned FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    const row = rows[0];
    return {
      redisCommands,
      postgres: row && { commits: +row.xact_commit, inserted: +row.tup_inserted, updated: +row.tup_updated, returned: +row.tup_returned },
    };
  } finally {
    await client.end();
  }
}

/** Server versions of Redis and (in separate mode) PostgreSQL, for the record. */
async function serverVersions(platform: Platform, mode: Options['mode']): Promise<string> {
  const redis = /redis_version:(\S+)/.exec(await platform.redis.info('server'))?.[1] ?? '?';
  if (mode !== 'separate') return `redis ${redis}, embedded PGlite`;
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return `redis ${redis}, postgres ${rows[0].server_version}`;
  } finally {
    await client.end();
  }
}

/** A reply as the stand-in recorded it: its text and the conversation it went to. */
interface Reply {
  text: string;
  conversation: string;
}

/** What differs between the event sources; everything else (firing, waiting, the numbers) is shared. */
interface Source {
  /** The webhook path and the status it answers an accepted event with. */
  path: string;
  acceptedStatus: number;
  /** What a conversation is for this source, for the output: issue or thread. */
  conversationKind: string;
  /** Platform settings beyond the bench's run settings. */
  platform: { repositories: string[]; env: Record<string, string> };
  /** Connects the account, stores the LLM key and deploys the flow. */
  prepare(platform: Platform, root: string): Promise<void>;
  /** The signed deliveries, built before the clock starts so signing is not measured. */
  build(options: Options, runTag: string): Promise<Delivery[]>;
  /** The stand-in's list of replies, appended to as they are posted. */
  replies(platform: Platform): object[];
  /** A recorded reply's text and conversation, or undefined when it went anywhere but the bench's repository/channel. */
  read(reply: object): Reply | undefined;
  /** Every call the platform made to the service's stand-in so far, by name (method and path, or Web API method). */
  apiCalls(platform: Platform): string[];
}

const github: Source = {
  path: '/webhooks/github',
  acceptedStatus: 202,
  conversationKind: 'issue',
  platform: { repositories: [`${OWNER}/${REPO}`], env: {} },
  async prepare(platform, root) {
    // Events reach only the flows of whoever connected the installation they come through.
    await platform.installApp();
    await platform.putLlmKey(KEY_NAME);
    await platform.deploy(join(root, 'flows', 'github-chat'), { owner: OWNER, repo: REPO, openai_key_name: KEY_NAME });
  },
  async build(options, runTag) {
    const template = withInstallation(withRepo(examplePayload('issue_comment', 'created'), OWNER, REPO), INSTALLATION_ID);
    const deliveries: Delivery[] = [];
    for (let index = 0; index < options.deliveries; index++) {
      const issue = FIRST_ISSUE + (index % options.issues);
      const body = `bench ${runTag} delivery ${index}`;
      const payload = structuredClone(template);
      payload.issue.number = issue;
      Object.assign(payload.comment, { id: FIRST_COMMENT_ID + index, body });
      Object.assign(payload.comment.user, { login: 'octocat', type: 'User' });
      const request = await signedDelivery({ event: 'issue_comment', payload, secret: WEBHOOK_SECRET });
      deliveries.push({ index, conversation: `#${issue}`, body, request });
    }
    return deliveries;
  },
  replies: (platform) => platform.github.comments,
  read(reply) {
    const c = reply as RecordedComment;
    return c.owner === OWNER && c.repo === REPO ? { text: c.body, conversation: `#${c.issue_number}` } : undefined;
  },
  apiCalls: (platform) => platform.github.requests.map((r) => `${r.method} ${r.path.replace(/\/\d+/g, '/:n')}`),
};

/** Connects the stand-in's workspace through the OAuth v2 install, as test/slack.e2e-spec.ts does. */
async function connectSlack(platform: Platform): Promise<void> {
  const start = await fetch(`${platform.url}/connect/slack`, { redirect: 'manual' });
  const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
  const code = platform.slack.issueCode(TEAM.id);
  const res = await fetch(`${platform.url}/connect/slack/callback?code=${code}&state=${encodeURIComponent(state)}`);
  const page = await res.text();
  if (res.status !== 200) throw new Error(`connecting Slack failed: ${res.status} ${page.slice(0, 300)}`);
  const connections = await platform.request<{ externalId: string; status: string }[]>('GET', '/api/connections');
  if (!connections.body.some((c) => c.externalId === TEAM.id && c.status === 'active'))
    throw new Error(`the Slack workspace is not connected: ${JSON.stringify(connections.body)}`);
}

/** The `thread_ts` of thread k: parent messages older than any message the bench sends. */
const threadTs = (k: number) => `1600000000.${String(k).padStart(6, '0')}`;

const slack: Source = {
  path: '/webhooks/slack/events',
  acceptedStatus: 200,
  conversationKind: 'thread',
  platform: { repositories: [], env: { MASTER_KEY: randomBytes(32).toString('base64') } },
  async prepare(platform, root) {
    platform.slack.addTeam({ ...TEAM, channels: [CHANNEL] });
    await connectSlack(platform);
    await platform.putLlmKey(KEY_NAME);
    await platform.deploy(join(root, 'flows', 'slack-chat'), {
      workspace: TEAM.name,
      channel: `#${CHANNEL.name}`,
      openai_key_name: KEY_NAME,
    });
  },
  async build(options, runTag) {
    const deliveries: Delivery[] = [];
    for (let index = 0; index < options.deliveries; index++) {
      const thread = threadTs(index % options.threads);
      const body = `bench ${runTag} delivery ${index}`;
      // Signed now: Slack's signatures are valid for five minutes, far longer than a default run.
      const request = signedSlackRequest(
        eventCallback(TEAM.id, channelMessage(CHANNEL.id, body, { thread_ts: thread })),
        SLACK_SIGNING_SECRET,
      );
      deliveries.push({ index, conversation: thread, body, request });
    }
    return Promise.resolve(deliveries);
  },
  replies: (platform) => platform.slack.messages,
  read(reply) {
    const m = reply as PostedMessage;
    return m.teamId === TEAM.id && m.channel === CHANNEL.id ? { text: m.text, conversation: m.thread_ts ?? '' } : undefined;
  },
  apiCalls: (platform) => platform.slack.calls.map((c) => c.method),
};

/** `name count` for each distinct name, most frequent first. */
function tally(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${n}`)
      .join(', ') || 'none'
  );
}

const SOURCES: Record<Options['source'], Source> = { github, slack };

/** Posts every delivery to `url` with at most `concurrency` in flight; stops sending at `deadline`. */
async function fire(url: string, deliveries: Delivery[], concurrency: number, deadline: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < deliveries.length && performance.now() < deadline) {
      const d = deliveries[next++];
      d.sentAt = performance.now();
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: d.request.headers,
          body: d.request.body,
          signal: AbortSignal.timeout(Math.max(1, Math.floor(Math.min(30_000, deadline - d.sentAt)))),
        });
        await res.arrayBuffer();
        d.status = res.status;
      } catch (error) {
        d.error = (error as Error).message;
      }
      d.answeredAt = performance.now();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/** Resolves when `done()` holds, checking every 10 ms; false when `deadline` passes first. */
async function until(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Completed jobs of a queue with their service time (finishedOn - processedOn, ms) and attempts. */
async function completedJobs(queue: Queue): Promise<{ serviceMs: number; attempts: number; processedOn: number; finishedOn: number }[]> {
  const jobs: Job[] = await queue.getJobs(['completed'], 0, -1);
  return jobs
    .filter((job) => job.processedOn && job.finishedOn)
    .map((job) => ({
      serviceMs: job.finishedOn! - job.processedOn!,
      attempts: job.attemptsMade,
      processedOn: job.processedOn!,
      finishedOn: job.finishedOn!,
    }));
}

async function main(): Promise<number> {
  const options = parseOptions();
  const source = SOURCES[options.source];
  const command = `node ${process.argv
    .slice(1)
    .map((a) => a.replace(`${process.cwd()}/`, ''))
    .join(' ')}`;
  const root = repoRoot();
  const hardDeadline = performance.now() + options.timeoutS * 1000;
  const out = (line = '') => process.stdout.write(`${line}\n`);

  out('OpenFlows benchmark: ingress and runs (bench/ingress-and-runs.ts)');
  out(`command:  ${command}`);
  out(
    `options:  source=${options.source} mode=${options.mode} deliveries=${options.deliveries} concurrency=${options.concurrency} ${source.conversationKind}s=${options.source === 'github' ? options.issues : options.threads} partitions=${options.partitions} log-level=${options.logLevel}${options.profile ? ' profile' : ''} timeout=${options.timeoutS}s`,
  );
  out(
    `machine:  nproc ${availableParallelism()}, ${cpus().length} cpus (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, node ${process.version}`,
  );
  out(`source:   ${sourceVersion(root)}`);
  out(
    `services: redis ${REDIS_URL}${options.mode === 'separate' ? `, postgres ${TEST_POSTGRES_URL} (fresh database)` : ', embedded PGlite (temp dir)'}`,
  );
  out(
    `date:     ${new Date().toISOString()}   loadavg before: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );

  let platform: Platform | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (platform?.stop() ?? Promise.resolve()).catch((error) => {
      process.stderr.write(`cleanup failed: ${error}\n`);
    }));
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`${signal}: cleaning up\n`);
    void stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Output piped into a reader that quit (e.g. `| head`) must not skip the cleanup.
  process.stdout.on('error', () => {});
  process.once('uncaughtException', (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    void stop().then(() => process.exit(1));
  });
  // Last resort when the process ends without cleaning up: no platform process outlives it.
  process.once('exit', () => {
    for (const proc of [platform?.api, platform?.worker]) if (proc?.child.exitCode === null) proc.child.kill('SIGKILL');
  });

  const queues: Queue[] = [];
  try {
    platform = await Platform.start({
      mode: options.mode,
      repositories: source.platform.repositories,
      // The platform's own defaults (libs/common/src/config.ts), not the e2e tests' short ones.
      env: {
        LOG_LEVEL: options.logLevel,
        RUN_PARTITIONS: String(options.partitions),
        RUN_ATTEMPTS: '3',
        RUN_BACKOFF_MS: '1000',
        RUN_LOCK_MS: '30000',
        ...source.platform.env,
        ...(options.profile ? { NODE_OPTIONS: '--inspect=127.0.0.1:0' } : {}),
      },
    });
    out(`versions: ${await serverVersions(platform, options.mode)}; Redis key prefix ${platform.prefix}`);
    await source.prepare(platform, root);
    const connection = { url: REDIS_URL } as never;
    for (const name of [EVENTS_QUEUE, ...runsQueueNames(options.partitions)])
      queues.push(new Queue(name, { connection, prefix: platform.prefix }));

    const runTag = platform.prefix;
    const deliveries = await source.build(options, runTag);
    const byBody = new Map(deliveries.map((d) => [`echo: ${d.body}`, d]));

    // Time every reply as the stand-in records it.
    const comments = source.replies(platform);
    const commentTimes: number[] = [];
    const push = comments.push.bind(comments);
    comments.push = (...items) => {
      for (let i = 0; i < items.length; i++) commentTimes.push(performance.now());
      return push(...items);
    };

    const profilers: { name: string; profiler: CpuProfiler }[] = [];
    if (options.profile) {
      for (const proc of [platform.api, platform.worker]) {
        const url = proc && inspectorUrl(proc.output());
        if (!proc || !url) continue;
        const profiler = await CpuProfiler.connect(url);
        await profiler.start();
        profilers.push({ name: proc.name, profiler });
      }
    }

    const countersBefore = await storeCounters(platform);
    const cpuBefore = cpuSample(platform);
    const callsBefore = source.apiCalls(platform).length;
    const t0 = performance.now();
    await fire(`${platform.url}${source.path}`, deliveries, options.concurrency, hardDeadline);
    const allAnswered = await until(() => comments.length >= deliveries.length, hardDeadline);
    const tDone = commentTimes.at(-1) ?? performance.now();
    // Let the runs finish their bookkeeping (run record, logs) after the comment, so the queue
    // statistics are complete and stopping interrupts nothing.
    const runsQueues = queues.slice(1);
    const countCompleted = async (list: Queue[]) =>
      (await Promise.all(list.map((q) => q.getJobCountByTypes('completed')))).reduce((a, b) => a + b, 0);
    let settled = allAnswered;
    while (settled && (await countCompleted(runsQueues)) < deliveries.length) {
      if (performance.now() > hardDeadline) settled = false;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cpuAfter = cpuSample(platform);
    const calls = source.apiCalls(platform).slice(callsBefore);
    const profiles = await Promise.all(profilers.map(async ({ name, profiler }) => ({ name, profile: await profiler.stop() })));
    for (const { profiler } of profilers) profiler.close();
    const windowMs = performance.now() - t0;
    // PostgreSQL publishes a backend's statistics once it has been idle for about a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const countersAfter = await storeCounters(platform);
    const peaks: [string, number | undefined][] = [
      [platform.worker ? 'api' : 'standalone', peakRssMiB(platform.api.child.pid)],
      ...(platform.worker ? [['worker', peakRssMiB(platform.worker.child.pid)] as [string, number | undefined]] : []),
      ['bench (client + stand-ins)', process.resourceUsage().maxRSS / 1024],
    ];

    // ---- ingress
    const problems: string[] = [];
    const sent = deliveries.filter((d) => d.sentAt !== undefined);
    const accepted = deliveries.filter((d) => d.status === source.acceptedStatus);
    const refused = sent.filter((d) => d.status !== source.acceptedStatus);
    if (sent.length < deliveries.length) problems.push(`${deliveries.length - sent.length} deliveries not sent before the time limit`);
    if (refused.length > 0) {
      const byOutcome = new Map<string, number>();
      for (const d of refused) {
        const outcome = d.error ?? `HTTP ${d.status}`;
        byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
      }
      const kinds = [...byOutcome].sort((a, b) => b[1] - a[1]);
      const shown = kinds.slice(0, 5).map(([outcome, n]) => `${n}× ${outcome.slice(0, 200)}`);
      if (kinds.length > 5) shown.push(`${kinds.length - 5} other outcomes`);
      problems.push(`${refused.length} deliveries not answered ${source.acceptedStatus}: ${shown.join(', ')}`);
    }
    const lastAck = accepted.reduce((max, d) => Math.max(max, d.answeredAt!), t0);
    const ingressS = (lastAck - t0) / 1000;
    out();
    out(
      `ingress:     ${accepted.length}/${deliveries.length} answered ${source.acceptedStatus} in ${ingressS.toFixed(2)} s → ${(accepted.length / ingressS).toFixed(1)} deliveries/s`,
    );
    out(`             latency (post → ${source.acceptedStatus}): ${stats(accepted.map((d) => d.answeredAt! - d.sentAt!))}`);

    // ---- replies
    const replyAt = new Map<Delivery, number>();
    const replyPos = new Map<Delivery, number>();
    let unexpected = 0;
    let doubled = 0;
    comments.forEach((item, position) => {
      const c = source.read(item);
      const d = c && (byBody.get(c.text) ?? byBody.get(c.text.slice(c.text.lastIndexOf('\n\n') + 2)));
      if (!d || d.conversation !== c.conversation) return void unexpected++;
      if (replyAt.has(d)) return void doubled++;
      replyAt.set(d, commentTimes[position]);
      replyPos.set(d, position);
    });
    const missing = accepted.filter((d) => !replyAt.has(d));
    if (missing.length > 0)
      problems.push(
        `${missing.length} accepted deliveries got no reply (first: delivery ${missing[0].index}, ${source.conversationKind} ${missing[0].conversation})`,
      );
    if (doubled > 0) problems.push(`${doubled} deliveries were answered more than once`);
    if (unexpected > 0) problems.push(`${unexpected} replies match no delivery`);
    if (!settled) problems.push('the time limit passed before every run was completed');
    const e2eS = (tDone - t0) / 1000;
    out(
      `end to end:  ${replyAt.size}/${deliveries.length} replies in ${e2eS.toFixed(2)} s → ${(replyAt.size / e2eS).toFixed(1)} completed runs/s`,
    );
    out(`             latency (post → reply): ${stats([...replyAt].map(([d, at]) => at - d.sentAt!))}`);

    // Replies in one conversation must follow the order of deliveries that did not overlap in time.
    let orderViolations = 0;
    const perConversation = new Map<string, Delivery[]>();
    for (const d of replyPos.keys()) perConversation.set(d.conversation, [...(perConversation.get(d.conversation) ?? []), d]);
    for (const list of perConversation.values()) {
      for (const a of list) for (const b of list) if (a.answeredAt! < b.sentAt! && replyPos.get(a)! > replyPos.get(b)!) orderViolations++;
    }
    out(
      `             order per ${source.conversationKind}: ${orderViolations === 0 ? 'kept' : `${orderViolations} pairs answered out of order`}`,
    );

    // ---- queues
    const events = await completedJobs(queues[0]);
    const runs = (await Promise.all(runsQueues.map((q) => completedJobs(q)))).map((jobs, partition) => ({ partition, jobs }));
    const busy = (jobs: { serviceMs: number }[]) => jobs.reduce((sum, j) => sum + j.serviceMs, 0);
    const failed = (await Promise.all(queues.map((q) => q.getJobCountByTypes('failed', 'delayed', 'waiting', 'active')))).reduce(
      (a, b) => a + b,
      0,
    );
    const retried = [...events, ...runs.flatMap((r) => r.jobs)].filter((j) => j.attempts > 1).length;
    out();
    out(`events queue (global concurrency 1): ${events.length} routed, service ${stats(events.map((j) => j.serviceMs))}`);
    out(`             busy ${((100 * busy(events)) / windowMs).toFixed(0)}% of the ${(windowMs / 1000).toFixed(1)} s window`);
    const allRuns = runs.flatMap((r) => r.jobs);
    out(
      `runs (${options.partitions} partitions, global concurrency 1 each): ${allRuns.length} completed, service ${stats(allRuns.map((j) => j.serviceMs))}`,
    );
    out(
      `             per partition: ${runs.map((r) => `${r.jobs.length} runs/${((100 * busy(r.jobs)) / windowMs).toFixed(0)}% busy`).join(', ')}`,
    );
    out(`             jobs retried: ${retried}; failed, delayed, waiting or active at the end: ${failed}`);
    if (failed > 0) problems.push(`${failed} jobs failed or left unfinished`);

    // ---- resources
    out();
    const cpu = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k] - cpuBefore[k]]));
    const { ['whole machine']: machine, ...ours } = cpu;
    const others = machine - Object.values(ours).reduce((a, b) => a + b, 0);
    out(
      `CPU seconds in the ${(windowMs / 1000).toFixed(1)} s window (${cpus().length} cores = ${((cpus().length * windowMs) / 1000).toFixed(1)} CPU-s): ` +
        `${Object.entries(ours)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ')}; everything else on the machine ${Math.max(0, others).toFixed(1)}`,
    );
    const per = (n: number) => (n / deliveries.length).toFixed(1);
    const pgBefore = countersBefore.postgres;
    const pgAfter = countersAfter.postgres;
    out(
      `work per delivery: ${
        pgBefore && pgAfter
          ? `postgres ${per(pgAfter.commits - pgBefore.commits)} transactions, ${per(pgAfter.inserted - pgBefore.inserted)} rows inserted, ` +
            `${per(pgAfter.updated - pgBefore.updated)} updated; `
          : ''
      }redis ${per(countersAfter.redisCommands - countersBefore.redisCommands)} commands (whole server, other users included)`,
    );
    out(`stand-in API calls in the window: ${tally(calls)}`);
    out(`peak RSS (VmHWM): ${peaks.map(([name, mib]) => `${name} ${mib === undefined ? '?' : `${mib.toFixed(0)} MiB`}`).join(', ')}`);
    const logs = platform.output();
    const level = (n: number) => (logs.match(new RegExp(`"level":${n}\\b`, 'g')) ?? []).length;
    out(
      `platform log lines: ${level(50) + level(60)} error/fatal, ${level(40)} warn   loadavg after: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
    if (level(50) + level(60) > 0) {
      const first = logs.split('\n').find((line) => /"level":(50|60)\b/.test(line));
      out(`             first error: ${first?.slice(0, 500)}`);
    }
    for (const { name, profile } of profiles) {
      out();
      out(`CPU profile of ${name} (sampled while the load ran):`);
      for (const line of summarize(profile, root)) out(`  ${line}`);
    }

    out();
    if (problems.length > 0) {
      out(`FAILED: ${problems.join('; ')}`);
      return 1;
    }
    out(`OK: every delivery answered ${source.acceptedStatus} and replied to exactly once`);
    return 0;
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
