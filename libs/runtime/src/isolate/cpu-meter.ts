import type ivm from 'isolated-vm';
import type { FlowRun } from './flow-run';

/** How often the meter charges CPU and checks limits while runs are in an isolate (ms). */
const WATCH_MS = 20;

/** What the meter asks of its isolate when a run goes over its CPU budget, or the heap limit disposed it. */
export interface CpuMeterEvents {
  overBudget(run: FlowRun): void;
  heapLimit(lastRun: FlowRun | undefined): void;
}

/**
 * Charges an isolate's CPU time to the runs whose code it runs. The guest says `enter` first thing in
 * every task, and the host then marks that run {@link current}; every WATCH_MS while runs are in the
 * isolate, and at every `enter`, the CPU used since the last look is charged to the current run, and
 * one over its budget is reported. Runs of one isolate take turns on its one thread, so the run that
 * entered last is the one running.
 */
export class CpuMeter {
  /** The run whose code the isolate ran last. */
  current?: FlowRun;
  /** True when the isolate used most of the last interval: `current` is in the middle of its code. */
  busy = false;
  private seen = 0n;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly isolate: ivm.Isolate,
    private readonly events: CpuMeterEvents,
  ) {}

  /** `run`'s code is about to run (it said `enter`, or the host is making its context). */
  enter(run: FlowRun): void {
    this.charge();
    this.current = run;
  }

  /** Charges the CPU the isolate used since the last look to the current run. */
  charge(): void {
    if (this.isolate.isDisposed) return;
    const now = this.isolate.cpuTime;
    const used = now - this.seen;
    this.seen = now;
    const run = this.current;
    if (!run) return;
    // An ended run is charged too: one a host-side limit ended may still be looping in its context.
    run.cpuNs += used;
    if (Number(run.cpuNs) / 1e6 > run.limits.cpuMs) this.events.overBudget(run);
  }

  /** Starts looking every WATCH_MS (runs are in the isolate). */
  start(): void {
    if (this.timer) return;
    this.seen = this.isolate.isDisposed ? 0n : this.isolate.cpuTime;
    this.timer = setInterval(() => this.look(), WATCH_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private look(): void {
    if (this.isolate.isDisposed) {
      this.stop();
      this.events.heapLimit(this.current);
      return;
    }
    const before = this.seen;
    this.charge();
    this.busy = this.seen - before > BigInt(WATCH_MS * 1e6) / 2n;
  }
}
