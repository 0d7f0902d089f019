/**
 * What running flows in isolated-vm isolates costs (issue 8), on this machine, in one process: a
 * realistic flow (flows/github-chat, bundled with `bundleFlow`) answering GitHub's example
 * `issue_comment.created` event, with host services answering in-process from canned data (a fixed
 * chat choice, a GitHub client whose calls resolve `{ status: 201, data: { id } }`, an in-memory store, a
 * silent log). Each run makes four bridge calls (store.get, chat.complete, github issues.createComment,
 * store.set) and posts one log line.
 *
 * - warm: one deployment's isolate reused by FlowRuntime, N sequential runs after a warm-up, then N runs
 *   with C in flight; CPU per run is `process.cpuUsage()` (every thread of the process, isolated-vm's
 *   included) over the N runs ÷ N;
 * - baseline: the same bundle evaluated as plain host code (its `run()` and handler called directly,
 *   the SDK built by `createSdk` over the same host services), measured the same way in the same
 *   process, so that "isolation overhead = warm − baseline" compares across noisy machines;
 * - cold start: the first run of a new deployment (a new isolate), S samples, each phase of it timed
 *   apart (isolate, guest script compile, context, guest evaluation, flow load);
 * - idle isolates: K deployments run once each, then `heapBytes()` per isolate and process RSS growth ÷ K;
 * - previous runtime (with `--previous-runtime <dir>`): the same bundle and canned services through the
 *   `executeFlow` of an older OpenFlows built in `<dir>` (by `bench/previous-runtime.sh`; ff659b3 is the
 *   last commit before isolation, which evaluated the bundle in a fresh `node:vm` context per run), N
 *   sequential and N concurrent runs measured like the warm ones, beside them in the same process: the
 *   issue's target is "warm isolation ≤ 0.5 ms CPU per run over" that runtime.
 *
 *   node --expose-gc dist/bench/isolation.js [--runs N] [--concurrency C] [--cold S] [--idle K] [--warmup W]
 *     [--previous-runtime <dir>]
 *
 * libs/runtime is not bundled into this script: it is required from its tsc output beside it
 * (`dist/libs/runtime/src`), because the runtime finds its guest script relative to its own compiled
 * files. Exits 1 when a run did not answer exactly once or a figure misses its target, 2 on bad
 * arguments. Results: docs/benchmarks.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import ivm from 'isolated-vm';
import type { FlowsConfig } from '@openflows/common';
import type * as GithubCapabilities from '@openflows/github';
import type * as Runtime from '@openflows/runtime';
import type { ChatResponse, FlowEvent, FlowLogger, FlowStore, GithubContext } from '@openflows/sdk';
import type { GithubClient, SdkHost } from '@openflows/sdk/host';
import { createSdk } from '@openflows/sdk/sdk';
import { examplePayload } from '@openflows/test-support/github-webhooks';

/** The built libs/runtime and its guest script, loaded from `dist/` (see the header). */
const load = createRequire(__filename);
const runtimeDir = join(__dirname, '..', 'libs', 'runtime', 'src');
const runtime = load(runtimeDir) as typeof Runtime;
const { guestScript } = load(join(runtimeDir, 'isolate', 'guest-script')) as { guestScript(): string };
const { githubCapabilities } = load(join(__dirname, '..', 'libs', 'github', 'src', 'github-capabilities')) as typeof GithubCapabilities;

/**
 * Contexts the runtime has made so far: FlowIsolate's private `createContext`, wrapped here to count its
 * calls (runs of one deployment that overlap each get a context; only four are kept between runs).
 */
const contextsMade = countContexts();

function countContexts(): { count: number } {
  const counter = { count: 0 };
  const { FlowIsolate } = load(join(runtimeDir, 'isolate', 'flow-isolate')) as { FlowIsolate: { prototype: Record<string, unknown> } };
  const createContext = FlowIsolate.prototype.createContext as (...args: unknown[]) => unknown;
  FlowIsolate.prototype.createContext = function (this: unknown, ...args: unknown[]) {
    counter.count += 1;
    return createContext.apply(this, args);
  };
  return counter;
}

const LIMITS: FlowsConfig['limits'] = { cpuMs: 2000, wallMs: 120_000, memoryMb: 64 };
const REPLY_ID = 1_000_001;
const MB = 1024 * 1024;

/** The targets of issue 8. */
const TARGETS = { overheadMs: 0.5, coldMs: 30, idleMb: 10 };

interface Options {
  runs: number;
  concurrency: number;
  cold: number;
  idle: number;
  warmup: number;
  /** A directory holding a built older OpenFlows (`bench/previous-runtime.sh`), or undefined. */
  previousRuntime?: string;
}

/**
 * The host services of the previous runtime's run (ff659b3's `RunServices`): the same as today's
 * without `fetch`. Declared here, not imported: that runtime is not in this tree.
 */
interface PreviousRunServices {
  chatCompletion: Runtime.RunServices['chatCompletion'];
  github(): GithubClient;
  githubContext(): GithubContext;
  slack(): never;
  slackContext(): never;
  store: FlowStore;
  log: FlowLogger;
}

/** What the bench calls of the previous runtime: `executeFlow` of its `dist/libs/runtime/src/index.js`. */
interface PreviousRuntime {
  commit: string;
  executeFlow(request: {
    flowName: string;
    bundle: string;
    env: Record<string, string>;
    event: Runtime.RunRequest['event'];
    services: PreviousRunServices;
  }): Promise<{ handled: number }>;
}

/** Canned host services and how often each was called (to check that every run answered once). */
interface Canned {
  services: Runtime.RunServices;
  /** The same GitHub client and context, for the plain-code baseline. */
  github: GithubClient;
  context: GithubContext;
  calls: { chat: number; comment: number; storeGet: number; storeSet: number };
}

/** One run of the flow, however it is executed; resolves to the number of handlers that matched. */
type RunOnce = () => Promise<number>;

/** A series of measured runs: CPU of the whole process per run and each run's wall time (ms). */
interface Series {
  cpuMsPerRun: number;
  wallMs: number[];
}

/** Parses the command line; exits 2 on anything it does not know. */
function options(): Options {
  try {
    const { values } = parseArgs({
      options: {
        runs: { type: 'string', default: '2000' },
        concurrency: { type: 'string', default: '20' },
        cold: { type: 'string', default: '50' },
        idle: { type: 'string', default: '50' },
        warmup: { type: 'string', default: '300' },
        'previous-runtime': { type: 'string' },
      },
    });
    const int = (name: 'runs' | 'concurrency' | 'cold' | 'idle' | 'warmup') => {
      const value = Number(values[name]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
      return value;
    };
    return {
      runs: int('runs'),
      concurrency: int('concurrency'),
      cold: int('cold'),
      idle: int('idle'),
      warmup: int('warmup'),
      previousRuntime: values['previous-runtime'],
    };
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}

/**
 * The runtime of an older OpenFlows built in `dir` (`bench/previous-runtime.sh`), required from its tsc
 * output; its commit is the `.openflows-commit` the script wrote, when there is one. Exits 2 when `dir`
 * holds no built runtime with an `executeFlow`.
 */
function loadPreviousRuntime(dir: string): PreviousRuntime {
  const root = resolve(dir);
  const entry = join(root, 'dist', 'libs', 'runtime', 'src', 'index.js');
  if (!existsSync(entry)) {
    console.error(`--previous-runtime: ${entry} does not exist (build it with bash bench/previous-runtime.sh <commit> ${dir})`);
    process.exit(2);
  }
  const loaded = createRequire(entry)(entry) as Partial<PreviousRuntime>;
  if (typeof loaded.executeFlow !== 'function') {
    console.error(`--previous-runtime: ${entry} exports no executeFlow`);
    process.exit(2);
  }
  const commitFile = join(root, '.openflows-commit');
  const commit = existsSync(commitFile) ? readFileSync(commitFile, 'utf8').trim().slice(0, 7) : 'unknown commit';
  return { commit, executeFlow: loaded.executeFlow.bind(loaded) };
}

/** `canned`'s services in the previous runtime's `RunServices` shape: the same canned clients, no `fetch`. */
function previousServices(canned: Canned): PreviousRunServices {
  const { chatCompletion, store, log } = canned.services;
  return {
    chatCompletion,
    github: () => canned.github,
    githubContext: () => canned.context,
    slack: slackNotConnected,
    slackContext: slackNotConnected,
    store,
    log,
  };
}

/** One run of the flow through the previous runtime's `executeFlow` (a fresh context per run, there). */
function previousFlow(previous: PreviousRuntime, bundle: string, canned: Canned): RunOnce {
  const { event, env } = githubEvent();
  const request = { flowName: 'github-chat', bundle, env, event, services: previousServices(canned) };
  return () => previous.executeFlow(request).then((result) => result.handled);
}

/** The benchmark's flow never uses Slack; the previous runtime and the baseline still need the functions. */
function slackNotConnected(): never {
  throw new Error('Slack is not connected in this benchmark');
}

/** Host services answering at once from canned data, as a worker's would after the network. */
function cannedServices(context: GithubContext): Canned {
  const calls = { chat: 0, comment: 0, storeGet: 0, storeSet: 0 };
  const created = { status: 201, url: '', headers: {}, data: { id: REPLY_ID } };
  const chatCompletion = (): Promise<ChatResponse> => {
    calls.chat += 1;
    return Promise.resolve({
      choice: 'A fixed answer, in **Markdown**.',
      usage: { promptTokens: 42, completionTokens: 7 },
      restarted: false,
    });
  };
  const github = {
    issues: {
      createComment: () => {
        calls.comment += 1;
        return Promise.resolve(created);
      },
    },
    request: () => Promise.resolve(created),
  } as unknown as GithubClient;
  const values = new Map<string, unknown>();
  const store: FlowStore = {
    get: <T>(key: string) => ((calls.storeGet += 1), Promise.resolve(values.get(key) as T | undefined)),
    set: (key, value) => ((calls.storeSet += 1), values.set(key, value), Promise.resolve()),
    del: (key) => (values.delete(key), Promise.resolve()),
  };
  const silent = () => undefined;
  const log: FlowLogger = { debug: silent, info: silent, warn: silent, error: silent };
  return {
    services: { chatCompletion, store, log, providers: { github: { context, capabilities: githubCapabilities(github) } } },
    github,
    context,
    calls,
  };
}

/** GitHub's example `issue_comment.created` delivery as the worker hands it to a run, and the flow's env. */
function githubEvent(): { event: Runtime.RunRequest['event']; env: Record<string, string>; context: GithubContext } {
  const payload = examplePayload('issue_comment', 'created');
  const owner = payload.repository.owner.login as string;
  const repo = payload.repository.name as string;
  const event = {
    id: 'bench-event',
    provider: 'github' as const,
    name: 'issue_comment',
    action: 'created',
    deliveryId: 'bench-delivery',
    target: `${owner}/${repo}`.toLowerCase(),
    payload,
  };
  return { event, env: { owner, repo, openai_key_name: 'openai' }, context: { repo: { owner, repo }, botLogin: 'openflows-bench[bot]' } };
}

/**
 * The flow as plain host code: its bundle evaluated once in this process with `require('@openflows/sdk')`
 * answered by `createSdk` over `services` (no isolate, no bridge, no JSON), dispatching as the guest
 * does (`run()`, then each matching handler).
 */
function baselineFlow(bundle: string, request: Omit<Runtime.RunRequest, 'bundle' | 'flowName'>, canned: Canned): RunOnce {
  let handlers: Promise<unknown>[] = [];
  const { services, event, env } = request;
  const host: SdkHost = {
    listen(source, names, handler) {
      const matched = source.provider === event.provider && source.target === event.target && names.includes(event.name);
      if (!matched) return Promise.resolve();
      const handled = Promise.resolve().then(() => handler(event as FlowEvent));
      handlers.push(handled);
      return handled.then(() => undefined);
    },
    chatCompletion: services.chatCompletion,
    github: () => canned.github,
    githubContext: () => canned.context,
    slack: slackNotConnected,
    slackContext: slackNotConnected,
    store: services.store,
    call: slackNotConnected,
    context: slackNotConnected,
    env: (name) => (Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined),
    log: services.log,
  };
  const sdk = createSdk(host);
  const module = { exports: {} as { run(): Promise<void> } };
  const requireSdk = (id: string) => {
    if (id !== '@openflows/sdk') throw new Error(`the baseline answers only @openflows/sdk, not ${id}`);
    return sdk;
  };
  new Function('module', 'exports', 'require', bundle)(module, module.exports, requireSdk);
  return async () => {
    handlers = [];
    await module.exports.run();
    await Promise.all(handlers);
    return handlers.length;
  };
}

/** The value below which `p` of `values` lie (nearest rank). */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** CPU time of the whole process (user + system, every thread) since `since`, in ms. */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Runs `runOnce` `runs` times with at most `concurrency` in flight; checks each matched one handler. */
async function measure(runOnce: RunOnce, runs: number, concurrency: number): Promise<Series> {
  const wallMs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      next += 1;
      const startedAt = performance.now();
      const handled = await runOnce();
      wallMs.push(performance.now() - startedAt);
      if (handled !== 1) throw new Error(`a run matched ${handled} handlers, expected 1`);
    }
  };
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, worker));
  return { cpuMsPerRun: cpuMsSince(cpuBefore) / runs, wallMs };
}

/** A request of `deployment` for `runtime.execute`. */
function requestFor(bundle: string, canned: Canned, deployment: string): Runtime.RunRequest {
  const { event, env } = githubEvent();
  return {
    flowName: 'github-chat',
    bundle,
    env,
    event,
    services: canned.services,
    isolate: { ownerId: 'bench-owner', flowId: `flow-${deployment}`, deploymentId: deployment },
  };
}

/** What the benchmark reads of a FlowIsolate. */
interface WarmIsolate {
  heapBytes(): number;
  cpuNs(): bigint;
}

/** The isolates a FlowRuntime keeps warm (its cache is private; the benchmark reads `heapBytes()` through it). */
function warmIsolates(flowRuntime: Runtime.FlowRuntime): WarmIsolate[] {
  const cache = (flowRuntime as unknown as { cache: { entries: Map<string, { isolate: WarmIsolate }> } }).cache;
  return [...cache.entries.values()].map((entry) => entry.isolate);
}

/** First runs of `samples` new deployments, each in a FlowRuntime of its own closed after the sample. */
async function coldStarts(bundle: string, canned: Canned, samples: number): Promise<{ wallMs: number[]; cpuMs: number[] }> {
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const flowRuntime = new runtime.FlowRuntime({ limits: LIMITS, isolates: 4 });
    const request = requestFor(bundle, canned, `cold-${i}`);
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    await flowRuntime.execute(request);
    wallMs.push(performance.now() - startedAt);
    cpuMs.push(cpuMsSince(cpuBefore));
    flowRuntime.close();
  }
  return { wallMs, cpuMs };
}

/** Phases of making a flow's isolate and context, as FlowIsolate does them (wall ms, summed over samples). */
type Phases = Record<'isolate' | 'compileGuest' | 'compileFlow' | 'context' | 'evaluateGuest' | 'entries' | 'loadFlow' | 'dispose', number>;

/**
 * The steps of FlowIsolate's constructor and `createContext`, replayed here with isolated-vm to time
 * each one (the runtime does not expose them): which phase a cold start spends its time in.
 */
async function coldPhases(bundle: string, samples: number): Promise<{ wallMs: Phases; cpuMs: Phases }> {
  const script = guestScript();
  const cache = new ivm.Isolate({ memoryLimit: LIMITS.memoryMb });
  const cachedData = (cache.compileScriptSync(script, { produceCachedData: true }) as ivm.Script & ivm.CachedDataResult).cachedData;
  cache.dispose();
  const zero = (): Phases => ({
    isolate: 0,
    compileGuest: 0,
    compileFlow: 0,
    context: 0,
    evaluateGuest: 0,
    entries: 0,
    loadFlow: 0,
    dispose: 0,
  });
  const wallMs = zero();
  const cpuMs = zero();
  const time = async <T>(phase: keyof Phases, work: () => T | Promise<T>): Promise<T> => {
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const result = await work();
    wallMs[phase] += (performance.now() - startedAt) / samples;
    cpuMs[phase] += cpuMsSince(cpuBefore) / samples;
    return result;
  };
  for (let i = 0; i < samples; i += 1) {
    const isolate = await time('isolate', () => new ivm.Isolate({ memoryLimit: LIMITS.memoryMb }));
    const guest = await time('compileGuest', () => isolate.compileScriptSync(script, { filename: 'openflows:///sdk.js', cachedData }));
    const flow = await time('compileFlow', () =>
      isolate.compileScriptSync(`globalThis.__openflowsFlow = function (module, exports, require) {${bundle}\n};`, {
        filename: 'openflows:///github-chat.js',
      }),
    );
    const context = await time('context', () => isolate.createContext());
    await time('evaluateGuest', async () => {
      await context.global.set('__openflowsSend', new ivm.Callback(() => undefined, { ignored: true }));
      await guest.run(context);
    });
    const loadEntry = await time('entries', async () => {
      const api: ivm.Reference = await context.global.get('__openflows', { reference: true });
      const names = ['load', 'start', 'finish', 'resume', 'fireTimer'];
      const entries = await Promise.all(names.map((name) => api.get(name, { reference: true }) as Promise<ivm.Reference>));
      api.release();
      await context.global.delete('__openflows');
      return entries[0];
    });
    await time('loadFlow', async () => {
      await flow.run(context);
      await loadEntry.apply(undefined, []);
    });
    await time('dispose', () => isolate.dispose());
  }
  return { wallMs, cpuMs };
}

/** Heap per idle isolate and RSS growth per isolate after `count` deployments ran once each. */
async function idleIsolates(bundle: string, canned: Canned, count: number): Promise<{ heapMb: number; rssMb: number; isolates: number }> {
  const gc = () => (globalThis as { gc?: () => void }).gc?.();
  gc();
  const rssBefore = process.memoryUsage().rss;
  const flowRuntime = new runtime.FlowRuntime({ limits: LIMITS, isolates: count });
  for (let i = 0; i < count; i += 1) await flowRuntime.execute(requestFor(bundle, canned, `idle-${i}`));
  gc();
  await new Promise((done) => setTimeout(done, 200));
  const rssMb = (process.memoryUsage().rss - rssBefore) / count / MB;
  const isolates = warmIsolates(flowRuntime);
  const heapMb = isolates.reduce((sum, isolate) => sum + isolate.heapBytes(), 0) / isolates.length / MB;
  flowRuntime.close();
  return { heapMb, rssMb, isolates: isolates.length };
}

/** One line of the results table: a figure, its target when it has one, and whether it meets it. */
interface Row {
  what: string;
  value: number;
  unit: 'ms' | 'MB';
  target?: number;
}

function formatRows(rows: Row[]): string {
  const cells = rows.map((row) => [
    row.what,
    `${row.value.toFixed(row.value < 1 ? 3 : 2)} ${row.unit}`,
    row.target === undefined ? '' : `≤ ${row.target} ${row.unit}`,
    row.target === undefined ? '' : row.value <= row.target ? 'PASS' : 'FAIL',
  ]);
  const all = [['Measure', 'Value', 'Target', 'Result'], ...cells];
  const widths = all[0].map((_, column) => Math.max(...all.map((cell) => cell[column].length)));
  const line = (cell: string[]) => `| ${cell.map((text, column) => text.padEnd(widths[column])).join(' | ')} |`;
  return [line(all[0]), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

function formatPhases(phases: { wallMs: Phases; cpuMs: Phases }): string {
  const total = Object.values(phases.wallMs).reduce((sum, value) => sum + value, 0);
  return (Object.keys(phases.wallMs) as (keyof Phases)[])
    .map((phase) => {
      const wall = phases.wallMs[phase];
      return `  ${phase.padEnd(14)} ${wall.toFixed(2).padStart(7)} ms wall (${((wall / total) * 100).toFixed(0).padStart(2)} %), ${phases.cpuMs[phase].toFixed(2).padStart(7)} ms CPU`;
    })
    .join('\n');
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${availableParallelism()} CPUs (${cpu}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}, isolated-vm 7`;
}

/** Checks that every run answered exactly once (one chat call, one comment, one store get and set). */
function checkCalls(canned: Canned, runs: number): void {
  const { chat, comment, storeGet, storeSet } = canned.calls;
  if (chat !== runs || comment !== runs || storeGet !== runs || storeSet !== runs) {
    console.error(`calls do not match ${runs} runs: ${JSON.stringify(canned.calls)}`);
    process.exit(1);
  }
}

/** Collects garbage (the bench runs with --expose-gc), so that a series does not pay for the one before. */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Sequential and concurrent warm series of the isolated flow, its baseline and, when given, the previous
 * runtime (`previous`, with canned services of its own): each kind of series run back to back, so that
 * the machine's load varies as little as possible between the figures compared.
 */
async function warmSeries(bundle: string, canned: Canned, opts: Options, previous?: RunOnce) {
  const { event, env } = githubEvent();
  const baseline = baselineFlow(bundle, { event, env, services: canned.services }, canned);
  const flowRuntime = new runtime.FlowRuntime({ limits: LIMITS, isolates: 4 });
  const request = requestFor(bundle, canned, 'warm');
  const isolated = () => flowRuntime.execute(request).then((result) => result.handled);
  const series = async (runOnce: RunOnce, concurrency: number) => (collect(), measure(runOnce, opts.runs, concurrency));
  await measure(baseline, opts.warmup, 1);
  await measure(isolated, opts.warmup, 1);
  if (previous) await measure(previous, opts.warmup, 1);
  const baselineSeries = await series(baseline, 1);
  const before = contextsMade.count;
  const [isolate] = warmIsolates(flowRuntime);
  const guestBefore = isolate.cpuNs();
  const warm = await series(isolated, 1);
  const guestMsPerRun = Number(isolate.cpuNs() - guestBefore) / 1e6 / opts.runs;
  const contexts = contextsMade.count - before;
  const previousSeries = previous ? await series(previous, 1) : undefined;
  const baselineConcurrent = await series(baseline, opts.concurrency);
  const warmConcurrent = await series(isolated, opts.concurrency);
  const contextsConcurrent = contextsMade.count - before - contexts;
  const previousConcurrent = previous ? await series(previous, opts.concurrency) : undefined;
  const result = {
    baseline: baselineSeries,
    warm,
    guestMsPerRun,
    previous: previousSeries,
    baselineConcurrent,
    warmConcurrent,
    previousConcurrent,
    contexts,
    contextsConcurrent,
  };
  flowRuntime.close();
  return result;
}

/** Runs every measurement and prints the table. */
async function main(): Promise<void> {
  const opts = options();
  const startedAt = performance.now();
  const { code: bundle } = await runtime.bundleFlow(resolve(__dirname, '..', '..', 'flows', 'github-chat'));
  const canned = cannedServices(githubEvent().context);
  const previousRuntime = opts.previousRuntime === undefined ? undefined : loadPreviousRuntime(opts.previousRuntime);
  const previousCanned = cannedServices(githubEvent().context);
  const previous = previousRuntime && previousFlow(previousRuntime, bundle, previousCanned);
  const first = await measure(() => runtime.executeFlow(requestFor(bundle, canned, 'first')).then((r) => r.handled), 1, 1);
  const warm = await warmSeries(bundle, canned, opts, previous);
  const cold = await coldStarts(bundle, canned, opts.cold);
  const phases = await coldPhases(bundle, opts.cold);
  const idle = await idleIsolates(bundle, canned, opts.idle);
  checkCalls(canned, 1 + 2 * opts.warmup + 4 * opts.runs + opts.cold + opts.idle);
  if (previous) checkCalls(previousCanned, opts.warmup + 2 * opts.runs);
  const c = opts.concurrency;
  const rows: Row[] = [
    { what: 'baseline CPU per run (plain host code)', value: warm.baseline.cpuMsPerRun, unit: 'ms' },
    { what: 'warm CPU per run (isolate)', value: warm.warm.cpuMsPerRun, unit: 'ms' },
    {
      what: 'isolation overhead per run (warm − baseline)',
      value: warm.warm.cpuMsPerRun - warm.baseline.cpuMsPerRun,
      unit: 'ms',
      target: TARGETS.overheadMs,
    },
    { what: '  of which in the isolate (its cpuTime)', value: warm.guestMsPerRun, unit: 'ms' },
    { what: 'warm wall p50 / run', value: percentile(warm.warm.wallMs, 0.5), unit: 'ms' },
    { what: 'warm wall p99 / run', value: percentile(warm.warm.wallMs, 0.99), unit: 'ms' },
    { what: 'baseline wall p50 / run', value: percentile(warm.baseline.wallMs, 0.5), unit: 'ms' },
    { what: `${c} concurrent: baseline CPU per run`, value: warm.baselineConcurrent.cpuMsPerRun, unit: 'ms' },
    { what: `${c} concurrent: warm CPU per run`, value: warm.warmConcurrent.cpuMsPerRun, unit: 'ms' },
    {
      what: `${c} concurrent: isolation overhead per run`,
      value: warm.warmConcurrent.cpuMsPerRun - warm.baselineConcurrent.cpuMsPerRun,
      unit: 'ms',
      target: TARGETS.overheadMs,
    },
    { what: `${c} concurrent: warm wall p50 / run`, value: percentile(warm.warmConcurrent.wallMs, 0.5), unit: 'ms' },
    { what: `${c} concurrent: warm wall p99 / run`, value: percentile(warm.warmConcurrent.wallMs, 0.99), unit: 'ms' },
    { what: 'cold start wall p50', value: percentile(cold.wallMs, 0.5), unit: 'ms', target: TARGETS.coldMs },
    { what: 'cold start wall p99', value: percentile(cold.wallMs, 0.99), unit: 'ms', target: TARGETS.coldMs },
    { what: 'cold start CPU p50', value: percentile(cold.cpuMs, 0.5), unit: 'ms', target: TARGETS.coldMs },
    { what: 'cold start CPU p99', value: percentile(cold.cpuMs, 0.99), unit: 'ms', target: TARGETS.coldMs },
    { what: `idle isolate heap (heapBytes, mean of ${idle.isolates})`, value: idle.heapMb, unit: 'MB', target: TARGETS.idleMb },
    { what: `idle isolate RSS (RSS growth ÷ ${opts.idle})`, value: idle.rssMb, unit: 'MB', target: TARGETS.idleMb },
  ];
  if (previousRuntime && warm.previous && warm.previousConcurrent) {
    rows.push(
      { what: `previous runtime CPU per run (node:vm, ${previousRuntime.commit})`, value: warm.previous.cpuMsPerRun, unit: 'ms' },
      {
        what: 'isolation over the previous runtime (warm − previous)',
        value: warm.warm.cpuMsPerRun - warm.previous.cpuMsPerRun,
        unit: 'ms',
        target: TARGETS.overheadMs,
      },
      { what: 'previous runtime wall p50 / run', value: percentile(warm.previous.wallMs, 0.5), unit: 'ms' },
      { what: `${c} concurrent: previous runtime CPU per run`, value: warm.previousConcurrent.cpuMsPerRun, unit: 'ms' },
      {
        what: `${c} concurrent: isolation over the previous runtime`,
        value: warm.warmConcurrent.cpuMsPerRun - warm.previousConcurrent.cpuMsPerRun,
        unit: 'ms',
        target: TARGETS.overheadMs,
      },
    );
  }
  console.log(`Flow isolation, flows/github-chat, issue_comment.created — ${machine()}`);
  console.log(`runs ${opts.runs} (warm-up ${opts.warmup}), concurrency ${c}, cold samples ${opts.cold}, idle isolates ${opts.idle}`);
  if (previousRuntime) console.log(`previous runtime: ${previousRuntime.commit} from ${resolve(opts.previousRuntime ?? '')}`);
  console.log(`first run in this process (executeFlow, guest script bundled by esbuild): ${first.wallMs[0].toFixed(1)} ms wall\n`);
  console.log(formatRows(rows));
  console.log(
    `\ncontexts made during the warm series: sequential ${warm.contexts}, ${c} concurrent ${warm.contextsConcurrent} (of ${opts.runs} runs each)`,
  );
  console.log(`\ncold start phases (mean of ${opts.cold}, replayed outside FlowIsolate):\n${formatPhases(phases)}`);
  console.log(`\ntotal ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  process.exitCode = rows.some((row) => row.target !== undefined && row.value > row.target) ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
