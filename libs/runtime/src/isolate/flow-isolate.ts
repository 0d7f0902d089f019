import { performance } from 'node:perf_hooks';
import ivm from 'isolated-vm';
import type { FlowLimits } from '@openflows/common';
import { FlowDeployError } from '../errors';
import { guestScript } from './guest-script';
import { FlowRun, errorFromGuest, type RunHandler, type RunOutcome } from './flow-run';
import { BRIDGE_LIMITS, FlowLimitError, cpuLimitError, memoryLimitError, wallLimitError } from './limits';
import { parse, toWire } from './wire';
import { CpuMeter } from './cpu-meter';

/** What the guest gets when a run starts (see `guest/host.ts`, `RunStart`). */
export type RunStart = Record<string, unknown> & { mode: 'dispatch' | 'discover' };

/** The entry points `guest/entry.ts` leaves for the host, one set per context. */
interface Entries {
  load: ivm.Reference;
  start: ivm.Reference;
  resume: ivm.Reference;
  fireTimer: ivm.Reference;
}

/** One V8 context of an isolate: the guest, the flow's module, and the run it serves now (one at a time). */
interface FlowContext {
  context?: ivm.Context;
  entries?: Entries;
  run?: FlowRun;
}

/** An isolate some other run's limit (or an eviction) disposed: the run may be retried. */
export class IsolateDisposedError extends Error {
  constructor() {
    super("the flow's isolate was stopped while this run was in it (another run of the flow hit a limit); the run will be retried");
  }
}

/** Contexts kept for reuse per isolate; more are made when runs of one deployment overlap. */
const SPARE_CONTEXTS = 4;

/** Compiled once per process, reused by every isolate: V8's code cache of the guest script. */
let guestCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

/**
 * One deployment's isolate (isolated-vm): its own V8 heap and thread, limited to `memoryMb`. Flow code
 * runs only in its contexts, in tasks the host queues on the isolate's thread (they run one at a time).
 * Each task's guest code first says `enter`, so the CPU the isolate uses is charged to the run whose
 * code runs; a watchdog disposes the isolate when that run goes over its CPU budget. Nothing but
 * strings and numbers crosses: the guest sends messages through one callback, the host answers by
 * queueing a task in the context again.
 */
export class FlowIsolate {
  private readonly isolate: ivm.Isolate;
  private readonly guest: ivm.Script;
  private readonly flow: ivm.Script;
  private readonly spare: FlowContext[] = [];
  private readonly contexts = new Set<FlowContext>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly meter: CpuMeter;
  private disposedByHost = false;
  /** Runs in progress; the cache disposes an evicted isolate only when it has none. */
  active = 0;

  /**
   * @param bundle the flow's CommonJS bundle (esbuild output, `@openflows/sdk` left as a require).
   * @throws FlowDeployError FLOW_INVALID when the bundle is not valid JavaScript.
   */
  constructor(
    bundle: string,
    filename: string,
    readonly memoryMb: number,
  ) {
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMb });
    this.meter = new CpuMeter(this.isolate, { overBudget: (run) => this.stopForCpu(run), heapLimit: (run) => this.onHeapLimit(run) });
    const produce = guestCache === undefined;
    const guest = this.isolate.compileScriptSync(guestScript(), {
      filename: 'openflows:///sdk.js',
      cachedData: guestCache,
      produceCachedData: produce,
    });
    if (produce) guestCache = (guest as ivm.Script & ivm.CachedDataResult).cachedData;
    this.guest = guest;
    try {
      // One line, so that the flow's own line numbers stay right in stack traces.
      this.flow = this.isolate.compileScriptSync(`globalThis.__openflowsFlow = function (module, exports, require) {${bundle}\n};`, {
        filename: `openflows:///${filename}`,
      });
    } catch (error) {
      this.dispose();
      throw new FlowDeployError('FLOW_INVALID', `flow failed to load: ${(error as Error).message}`);
    }
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  /** Heap in use (bytes), for the benchmarks' idle-isolate figure. */
  heapBytes(): number {
    const stats = this.isolate.getHeapStatisticsSync();
    return stats.used_heap_size + stats.externally_allocated_size;
  }

  /** CPU time this isolate has used so far (ns). */
  cpuNs(): bigint {
    return this.isolate.cpuTime;
  }

  /**
   * Runs the flow once in a free context (a new one when all are busy): `run()`, then the matched
   * handlers, as `start` tells the guest. Limits end the run with LIMIT_CPU, LIMIT_WALL, LIMIT_MEMORY,
   * LIMIT_LOG or LIMIT_OUTPUT; CPU and memory also dispose the isolate.
   * @returns the handler count the guest reported, and the run's result (see RunOutcome).
   * @throws FlowLimitError, the flow's error (SdkError or FlowError), FlowDeployError FLOW_INVALID when
   *   the module does not load, IsolateDisposedError when another run's limit stopped the isolate.
   */
  async execute(start: RunStart, limits: FlowLimits, handler: RunHandler): Promise<{ handled: number; result?: unknown }> {
    const run = new FlowRun(limits, handler);
    this.active += 1;
    this.meter.start();
    const wall = setTimeout(() => this.onWallLimit(run), limits.wallMs);
    let context: FlowContext | undefined;
    try {
      context = this.spare.pop() ?? (await this.enter(run, (timeout) => this.createContext(run, timeout)));
      context.run = run;
      this.submit(context, run, 'start', [JSON.stringify(start)]);
      const outcome: RunOutcome = await run.outcome;
      this.stopIfStillRunning(run, !outcome.ok && isVolumeLimit(outcome.error));
      if (!outcome.ok) throw outcome.error;
      return outcome.result === undefined ? { handled: outcome.handled } : { handled: outcome.handled, result: outcome.result };
    } catch (error) {
      run.fail(error as Error);
      throw (await run.outcome.then((outcome) => (outcome.ok ? error : outcome.error))) as Error;
    } finally {
      clearTimeout(wall);
      handler.close?.();
      this.active -= 1;
      if (this.active === 0) this.meter.stop();
      if (context) await this.recycle(context, run);
    }
  }

  /** Releases every context and reference, then the isolate (a disposed isolate with live handles can crash Node at exit). */
  dispose(): void {
    this.disposedByHost = true;
    this.meter.stop();
    for (const context of this.contexts) this.releaseContext(context);
    this.contexts.clear();
    this.spare.length = 0;
    try {
      this.guest?.release();
      this.flow?.release();
    } catch {
      // Already gone with the isolate.
    }
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }

  /** Makes a context: the guest script, the entry points, the flow module evaluated (its top-level code runs here). */
  private async createContext(run: FlowRun, timeout: number): Promise<FlowContext> {
    const flowContext: FlowContext = { run };
    this.contexts.add(flowContext);
    const context = await this.isolate.createContext();
    flowContext.context = context;
    const send = new ivm.Callback((kind: unknown, a: unknown, b: unknown, c: unknown) => this.onMessage(flowContext, kind, a, b, c), {
      ignored: true,
    });
    await context.global.set('__openflowsSend', send);
    await this.guest.run(context, { timeout });
    const api: ivm.Reference = await context.global.get('__openflows', { reference: true });
    const entry = (name: keyof Entries) => api.get(name, { reference: true }) as Promise<ivm.Reference>;
    const [load, start, resume, fireTimer] = await Promise.all([entry('load'), entry('start'), entry('resume'), entry('fireTimer')]);
    api.release();
    flowContext.entries = { load, start, resume, fireTimer };
    await context.global.delete('__openflows');
    await this.flow.run(context, { timeout });
    let exportsRun: unknown;
    try {
      exportsRun = await load.apply(undefined, [], { timeout });
    } catch (error) {
      if (this.isolate.isDisposed || run.ended) throw error;
      throw new FlowDeployError('FLOW_INVALID', `flow failed to load: ${(error as Error).message}`);
    }
    if (exportsRun !== true) throw new FlowDeployError('FLOW_INVALID', 'flow module must export an async function run()');
    return flowContext;
  }

  /**
   * Makes a context for `run`, one creation at a time, each step with the run's remaining CPU budget as
   * its timeout; the CPU it uses is charged to the run by the watchdog.
   */
  private enter<T>(run: FlowRun, work: (timeoutMs: number) => Promise<T>): Promise<T> {
    const result = this.chain.then(() => this.enterNow(run, work));
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async enterNow<T>(run: FlowRun, work: (timeoutMs: number) => Promise<T>): Promise<T> {
    if (run.ended) throw new Error('the run has ended');
    if (this.isolate.isDisposed) throw new IsolateDisposedError();
    this.meter.charge();
    const remainingMs = run.limits.cpuMs - Number(run.cpuNs) / 1e6;
    if (remainingMs <= 0) throw this.stopForCpu(run);
    const timeout = Math.max(1, Math.ceil(remainingMs));
    const startedAt = performance.now();
    try {
      return await work(timeout);
    } catch (error) {
      throw this.classify(run, error as Error, performance.now() - startedAt >= timeout);
    }
  }

  /**
   * Queues entry `name` of `context` on the isolate's thread without waiting for it (a waited-for
   * task costs a round trip between threads, ~0.1 ms of CPU). The guest says `enter` first thing, so
   * the host knows whose code is running; the watchdog charges CPU and stops what runs over.
   */
  private submit(context: FlowContext, run: FlowRun, name: 'start' | 'resume' | 'fireTimer', args: (string | number | boolean)[]): void {
    if (run.ended || context.run !== run || this.isolate.isDisposed) return;
    try {
      (context.entries as Entries)[name].applyIgnored(undefined, args);
    } catch (error) {
      run.fail(this.isolate.isDisposed ? new IsolateDisposedError() : (error as Error));
    }
  }

  /** The heap limit disposed the isolate (not the host): the run that ran last caused it. */
  private onHeapLimit(lastRun: FlowRun | undefined): void {
    if (this.disposedByHost) return;
    const culprit = lastRun ?? [...this.contexts].find((context) => context.run)?.run;
    if (culprit) this.failAll(memoryLimitError(culprit.limits), culprit);
  }

  /** What an entry's failure means: the isolate's heap limit, the run's CPU budget, or an error from the flow. */
  private classify(run: FlowRun, error: Error, timedOut: boolean): Error {
    if (this.isolate.isDisposed && !this.disposedByHost) {
      const limit = memoryLimitError(run.limits);
      this.failAll(limit, run);
      return limit;
    }
    if (this.isolate.isDisposed) return run.limited ? error : new IsolateDisposedError();
    if (timedOut) return this.stopForCpu(run);
    return error;
  }

  private stopForCpu(run: FlowRun): FlowLimitError {
    const limit = cpuLimitError(run.limits);
    run.fail(limit);
    this.failAll(new IsolateDisposedError(), run);
    this.dispose();
    return limit;
  }

  /** Ends every other run in this isolate, which is about to go (or has gone) with `cause`. */
  private failAll(error: Error, except: FlowRun): void {
    except.fail(error);
    for (const context of this.contexts) if (context.run && context.run !== except) context.run.fail(new IsolateDisposedError());
  }

  private onWallLimit(run: FlowRun): void {
    run.fail(wallLimitError(run.limits));
    this.stopIfStillRunning(run);
  }

  /**
   * A run the host ended (a wall, log or output limit) whose code is still running in the isolate (a
   * loop writing log lines, a CPU budget longer than the wall time): only disposal stops it. `surely`:
   * the run was just sending (a log or output limit), so it is running even if the meter has not seen
   * it busy yet.
   */
  private stopIfStillRunning(run: FlowRun, surely = false): void {
    if (run.endedByGuest || this.isolate.isDisposed || this.meter.current !== run || !(surely || this.meter.busy)) return;
    this.failAll(new IsolateDisposedError(), run);
    this.dispose();
  }

  /**
   * After a run: the context is kept for the next run when the guest itself ended it (it forgot the
   * run before saying `done` or `fail`); one a limit or the host ended is released.
   */
  private async recycle(context: FlowContext, run: FlowRun): Promise<void> {
    context.run = undefined;
    if (this.isolate.isDisposed) return;
    if (run.endedByGuest && context.entries !== undefined && this.spare.length < SPARE_CONTEXTS) {
      this.spare.push(context);
      return;
    }
    this.releaseContext(context);
    this.contexts.delete(context);
  }

  private releaseContext(context: FlowContext): void {
    try {
      for (const reference of Object.values(context.entries ?? {})) reference.release();
      context.context?.release();
    } catch {
      // The isolate is already disposed; nothing is left to release.
    }
    context.entries = undefined;
  }

  /** A message from the guest of `context`; anything malformed or from an ended run is dropped. */
  private onMessage(context: FlowContext, kind: unknown, a: unknown, b: unknown, c: unknown): void {
    const run = context.run;
    if (!run || run.ended) return;
    switch (kind) {
      case 'enter':
        return this.meter.enter(run);
      case 'call':
        return this.onCall(context, run, a, b, c);
      case 'logs':
        return this.onLogs(run, a);
      case 'subscribe':
        return this.onSubscribe(run, a);
      case 'timeout':
      case 'interval':
        return this.onTimer(context, run, a, b, kind === 'interval');
      case 'clearTimer':
        clearTimeout(run.timers.get(Number(a)));
        run.timers.delete(Number(a));
        return;
      case 'done':
        run.endedByGuest = true;
        return this.onDone(run, a, b);
      case 'fail':
        run.endedByGuest = true;
        return run.fail(
          typeof a === 'string' && a.length <= BRIDGE_LIMITS.messageChars ? errorFromGuest(parse(a) ?? {}) : errorFromGuest({}),
        );
      default:
        return;
    }
  }

  /** The guest's `done`: the handler count and the JSON of the run's result (`''`: none); a result over the message size fails the run with LIMIT_OUTPUT. */
  private onDone(run: FlowRun, handled: unknown, result: unknown): void {
    const json = typeof result === 'string' ? result : '';
    if (json.length > BRIDGE_LIMITS.messageChars) {
      run.fail(new FlowLimitError('LIMIT_OUTPUT', `the handler's return value is larger than ${BRIDGE_LIMITS.messageChars} characters`));
      return;
    }
    run.settle({ ok: true, handled: Number(handled) || 0, result: json === '' ? undefined : parse(json) });
  }

  private onCall(context: FlowContext, run: FlowRun, id: unknown, capability: unknown, json: unknown): void {
    if (typeof id !== 'number' || typeof capability !== 'string' || typeof json !== 'string' || !run.countCall()) return;
    const answer = (ok: boolean, result: string) => this.submit(context, run, 'resume', [id, ok, result]);
    if (json.length > BRIDGE_LIMITS.messageChars) {
      run.fail(
        new FlowLimitError('LIMIT_OUTPUT', `the arguments of ${capability} are larger than ${BRIDGE_LIMITS.messageChars} characters`),
      );
      return;
    }
    const args = parse(json);
    Promise.resolve()
      .then(() => run.handler.call(capability, Array.isArray(args) ? args : []))
      .then(
        (result) => answer(true, JSON.stringify(result) ?? ''),
        (error: unknown) => answer(false, JSON.stringify(toWire(error))),
      );
  }

  /** A batch of the guest's log lines, `[[level, message, fieldsJson], …]`; larger than a run's log text: LIMIT_LOG. */
  private onLogs(run: FlowRun, batch: unknown): void {
    if (typeof batch !== 'string') return;
    if (batch.length > BRIDGE_LIMITS.logChars) {
      run.countLog(batch.length);
      return;
    }
    const lines = parse(batch);
    if (!Array.isArray(lines)) return;
    for (const line of lines) {
      if (!Array.isArray(line) || run.ended) return;
      this.onLog(run, line[0], line[1], line[2]);
    }
  }

  private onLog(run: FlowRun, level: unknown, message: unknown, fields: unknown): void {
    const text = typeof message === 'string' ? message : String(message);
    const json = typeof fields === 'string' ? fields : '';
    if (!run.countLog(text.length + json.length)) return;
    const known = level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? level : 'info';
    const parsed = json ? parse(json) : undefined;
    run.handler.log(known, text, parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined);
  }

  private onSubscribe(run: FlowRun, json: unknown): void {
    const subscription = typeof json === 'string' && json.length <= BRIDGE_LIMITS.messageChars ? parse(json) : undefined;
    if (subscription && typeof subscription === 'object') run.handler.subscribe?.(subscription as never);
  }

  private onTimer(context: FlowContext, run: FlowRun, id: unknown, ms: unknown, repeat: boolean): void {
    if (typeof id !== 'number' || run.timers.size >= BRIDGE_LIMITS.timers) return;
    const delay = Math.max(0, Math.min(Number(ms) || 0, run.limits.wallMs));
    const fire = () => {
      if (!repeat) run.timers.delete(id);
      this.submit(context, run, 'fireTimer', [id]);
    };
    run.timers.set(id, repeat ? setInterval(fire, Math.max(1, delay)) : setTimeout(fire, delay));
  }
}

/** A log or output limit: the run hit it while sending, so its code is running. */
function isVolumeLimit(error: Error): boolean {
  return error instanceof FlowLimitError && (error.code === 'LIMIT_LOG' || error.code === 'LIMIT_OUTPUT');
}
