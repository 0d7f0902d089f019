/**
 * Fault injection under load, in the production shape: api and worker processes, a private
 * PostgreSQL and a private Redis with append-only persistence (both started here on free ports, so
 * restarting them disturbs nothing else on the machine), flows/github-chat, the GitHub and OpenAI
 * stand-ins. Signed `issue_comment.created` deliveries (GitHub's published example payload), each with
 * a unique text, go to `POST /webhooks/github` from C concurrent senders over K issues; a third of the
 * way in, the fault strikes:
 *
 * - `worker-kill`: the worker is killed with SIGKILL and started again 2 s later;
 * - `redis-restart`: Redis is shut down (SHUTDOWN, which writes the append-only file) and started
 *   again on the same files 3 s later;
 * - `postgres-restart`: PostgreSQL is stopped (`pg_ctl stop -m fast`) and started again 3 s later.
 *
 * A delivery answered with anything but 2xx is sent again after a second, as an operator redelivers
 * it from GitHub's delivery log; one answered 2xx is accepted. The script then waits until every
 * accepted delivery has its reply and counts, per delivery text: replies missing (lost), more than
 * one (doubled), and how many answers were 503 while a store was down, and whether any 2xx was
 * answered for a delivery that was then lost.
 *
 *   node dist/bench/faults.js --fault worker-kill|redis-restart|postgres-restart [--deliveries 600]
 *        [--concurrency 20] [--issues 50] [--rounds 3] [--timeout-s 600]
 *
 * Exits 0 when every round lost nothing and doubled nothing, 1 otherwise, 2 on bad arguments.
 * Results: docs/benchmarks.md ("Faults").
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { visibleBody } from '@openflows/test-support/github-stand-in';
import { examplePayload, signedDelivery, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform, WEBHOOK_SECRET } from '@openflows/test-support/platform';

type Fault = 'worker-kill' | 'redis-restart' | 'postgres-restart';

interface Options {
  fault: Fault;
  deliveries: number;
  concurrency: number;
  issues: number;
  rounds: number;
  timeoutS: number;
}

const FAULTS: Fault[] = ['worker-kill', 'redis-restart', 'postgres-restart'];
const OWNER = 'octo-org';
const REPO = 'faults';
const FIRST_ISSUE = 2000;

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    'usage: node dist/bench/faults.js --fault worker-kill|redis-restart|postgres-restart [--deliveries N] [--concurrency C]\n' +
      '       [--issues K] [--rounds R] [--timeout-s S]\n',
  );
  process.exit(2);
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        fault: { type: 'string' },
        deliveries: { type: 'string', default: '600' },
        concurrency: { type: 'string', default: '20' },
        issues: { type: 'string', default: '50' },
        rounds: { type: 'string', default: '3' },
        'timeout-s': { type: 'string', default: '600' },
      },
      strict: true,
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  if (!FAULTS.includes(values.fault as Fault)) usage(`--fault must be one of ${FAULTS.join(', ')}`);
  const int = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
    return n;
  };
  return {
    fault: values.fault as Fault,
    deliveries: int('deliveries', values.deliveries!, 3, 100_000),
    concurrency: int('concurrency', values.concurrency!, 1, 1000),
    issues: int('issues', values.issues!, 1, 10_000),
    rounds: int('rounds', values.rounds!, 1, 20),
    timeoutS: int('timeout-s', values['timeout-s']!, 10, 3600),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A Redis server of our own with append-only persistence, on its own port and files. */
class PrivateRedis {
  constructor(
    readonly port: number,
    readonly dir = mkdtempSync(join(tmpdir(), 'openflows-faults-redis-')),
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', ''], {
      stdio: 'ignore',
    });
    await until('Redis to answer', () => this.answers(), 10_000);
  }

  /** SHUTDOWN writes the append-only file and exits, as `systemctl restart redis` does. */
  async stop(): Promise<void> {
    execFileSync('redis-cli', ['-p', String(this.port), 'shutdown'], { stdio: 'ignore' });
    // The server may be the parent's child: wait for it to stop answering rather than for its exit.
    await until('Redis to stop', () => !this.answers(), 10_000);
  }

  remove(): void {
    try {
      execFileSync('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave'], { stdio: 'ignore' });
    } catch {
      /* not running */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private answers(): boolean {
    try {
      return (
        execFileSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() ===
        'PONG'
      );
    } catch {
      return false;
    }
  }
}

/** A PostgreSQL cluster of our own (initdb, trust auth, database `test`), run as the `postgres` user when we are root. */
class PrivatePostgres {
  private readonly bin = PrivatePostgres.binDir();
  constructor(
    readonly port: number,
    readonly dir = mkdtempSync(join(tmpdir(), 'openflows-faults-pg-')),
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/test`;
  }

  static binDir(): string {
    const root = '/usr/lib/postgresql';
    const version = existsSync(root) ? readdirSync(root).sort().at(-1) : undefined;
    if (!version) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
    return join(root, version, 'bin');
  }

  async init(): Promise<void> {
    if (process.getuid?.() === 0) chownSync(this.dir, uid('postgres'), uid('postgres'));
    this.run('initdb', ['-D', this.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await this.start();
    this.run('createdb', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', 'test']);
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=200`;
    this.run('pg_ctl', ['-D', this.dir, '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
  }

  async stop(): Promise<void> {
    this.run('pg_ctl', ['-D', this.dir, '-m', 'fast', '-w', 'stop']);
  }

  remove(): void {
    try {
      this.run('pg_ctl', ['-D', this.dir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* not running */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(program: string, args: string[]): void {
    const path = join(this.bin, program);
    const [command, all] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    execFileSync(command as string, all as string[], { stdio: 'ignore' });
  }
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

/** The repository root: the folder above this file that holds flows/github-chat (source tree or dist/). */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'flows', 'github-chat', 'package.json'))) return dir;
  }
  throw new Error(`no flows/github-chat above ${__dirname}`);
}

interface RoundResult {
  accepted: number;
  lost: number;
  doubled: number;
  refused: number;
  resent: number;
  seconds: number;
}

/** The round's platform, stopped when the script is interrupted. */
let running: Platform | undefined;

/** One round: fresh platform on the private stores, load, the fault, then the count. */
async function round(options: Options, redis: PrivateRedis, postgres: PrivatePostgres): Promise<RoundResult> {
  const platform = await Platform.start({
    mode: 'separate',
    repositories: [`${OWNER}/${REPO}`],
    env: { LOG_LEVEL: 'warn', RUN_ATTEMPTS: '5', RUN_BACKOFF_MS: '500', RUN_LOCK_MS: '5000' },
  });
  running = platform;
  // Its own Redis client reconnects by itself while the fault lasts; the refusals are expected.
  platform.redis.on('error', () => undefined);
  const started = Date.now();
  try {
    await platform.installApp();
    await platform.putLlmKey('openai');
    await platform.deploy(join(repoRoot(), 'flows/github-chat'), { owner: OWNER, repo: REPO, openai_key_name: 'openai' });
    const texts = Array.from({ length: options.deliveries }, (_, i) => `fault probe ${i} ${Math.random().toString(36).slice(2)}`);
    const accepted = new Set<number>();
    let refused = 0;
    let resent = 0;
    let next = 0;
    let sent = 0;
    const faultAt = Math.floor(options.deliveries / 3);
    let fault: Promise<void> | undefined;
    const deliver = async (i: number) => {
      const payload = withInstallation(withRepo(examplePayload('issue_comment', 'created'), OWNER, REPO), INSTALLATION_ID);
      payload.issue.number = FIRST_ISSUE + (i % options.issues);
      Object.assign(payload.comment, { id: 7_000_000_000 + i, body: texts[i] });
      Object.assign(payload.comment.user, { login: 'octocat', type: 'User' });
      const delivery = await signedDelivery({ event: 'issue_comment', payload, secret: WEBHOOK_SECRET });
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) resent++;
        const status = await fetch(`${platform.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body })
          .then(async (res) => (await res.arrayBuffer(), res.status))
          .catch(() => 0);
        if (status >= 200 && status < 300) return accepted.add(i);
        refused++;
        await sleep(1000);
      }
    };
    const lane = async () => {
      while (next < options.deliveries) {
        const i = next++;
        if (++sent === faultAt) fault = inject(options.fault, platform, redis, postgres);
        await deliver(i);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, lane));
    await fault;
    const repliesTo = () => {
      const counts = new Map<string, number>();
      for (const c of platform.github.comments) {
        // The OpenAI stand-in echoes the comment; a conversation's first answer is prefixed with a note.
        const text = /echo: (fault probe \d+ \w+)/.exec(visibleBody(c.body) ?? '')?.[1];
        if (text) counts.set(text, (counts.get(text) ?? 0) + 1);
      }
      return counts;
    };
    await until(
      'every accepted delivery to be answered',
      () => texts.every((t, i) => !accepted.has(i) || repliesTo().has(t)),
      options.timeoutS * 1000,
    ).catch((error: Error) => process.stderr.write(`${error.message}\n`));
    await sleep(3000); // a late duplicate would show here
    const counts = repliesTo();
    return {
      accepted: accepted.size,
      lost: texts.filter((t, i) => accepted.has(i) && !counts.has(t)).length,
      doubled: texts.filter((t) => (counts.get(t) ?? 0) > 1).length,
      refused,
      resent,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await platform.stop();
  }
}

async function inject(
  fault: Fault,
  platform: { worker?: { stop(signal?: NodeJS.Signals): Promise<void> }; startWorker(): Promise<unknown> },
  redis: PrivateRedis,
  postgres: PrivatePostgres,
): Promise<void> {
  process.stdout.write(`  fault: ${fault}\n`);
  if (fault === 'worker-kill') {
    await platform.worker?.stop('SIGKILL');
    await sleep(2000);
    await platform.startWorker();
  } else if (fault === 'redis-restart') {
    await redis.stop();
    await sleep(3000);
    await redis.start();
  } else {
    await postgres.stop();
    await sleep(3000);
    await postgres.start();
  }
}

/**
 * The parent process starts the private stores and runs the rounds in a child whose environment
 * points the test support (which reads its store URLs when loaded) at them; it removes them after.
 */
async function main(): Promise<number> {
  const options = parseOptions();
  if (process.env.FAULTS_CHILD) return rounds(options);
  const redis = new PrivateRedis(await freePort());
  const postgres = new PrivatePostgres(await freePort());
  try {
    await redis.start();
    await postgres.init();
    const child = spawn(process.execPath, [__filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: {
        ...process.env,
        FAULTS_CHILD: '1',
        TEST_REDIS_URL: redis.url,
        TEST_DATABASE_URL: postgres.url,
        FAULTS_REDIS: `${redis.port}:${redis.dir}`,
        FAULTS_POSTGRES: `${postgres.port}:${postgres.dir}`,
      },
    });
    // Interrupted: the child's platform stops with it, and the finally below removes the stores.
    const interrupted = (signal: NodeJS.Signals) => child.kill(signal);
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    return await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    redis.remove();
    postgres.remove();
  }
}

/** The stores the parent started, from `<port>:<dir>`. */
function adopted(spec: string | undefined): [number, string] {
  const [port, ...dir] = (spec ?? '').split(':');
  return [Number(port), dir.join(':')];
}

async function rounds(options: Options): Promise<number> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void running?.stop().finally(() => process.exit(130)));
  }
  const redis = new PrivateRedis(...adopted(process.env.FAULTS_REDIS));
  const postgres = new PrivatePostgres(...adopted(process.env.FAULTS_POSTGRES));
  process.stdout.write(
    `faults: ${options.fault}, ${options.deliveries} deliveries, concurrency ${options.concurrency}, ${options.issues} issues, ${options.rounds} rounds\n`,
  );
  let clean = true;
  for (let r = 1; r <= options.rounds; r++) {
    const result = await round(options, redis, postgres);
    clean &&= result.lost === 0 && result.doubled === 0 && result.accepted === options.deliveries;
    process.stdout.write(
      `  round ${r}: accepted ${result.accepted}/${options.deliveries}, lost ${result.lost}, doubled ${result.doubled}, ` +
        `refused answers ${result.refused} (resent ${result.resent}), ${result.seconds.toFixed(1)} s\n`,
    );
  }
  process.stdout.write(clean ? 'clean: nothing lost, nothing doubled\n' : 'NOT CLEAN\n');
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
