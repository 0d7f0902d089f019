import type { FlowLimits } from '@openflows/common';
import { SdkError, type LogFields, type SdkErrorCode } from '@openflows/sdk';
import { BRIDGE_LIMITS, FlowLimitError } from './limits';

/** What a run's guest asks of the host: SDK calls, log lines, and (at deploy) subscriptions. */
export interface RunHandler {
  /**
   * Executes one SDK call (`capability` such as `github.request`, `args` parsed from the flow's JSON).
   * @returns a JSON-copyable result; @throws whatever the capability throws (sent back as `{ code, message }`).
   */
  call(capability: string, args: unknown[]): Promise<unknown>;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: LogFields): void;
  /** The run ended (however): what the handler holds for it (chat calls under way) is let go. */
  close?(): void;
  /** A `listenToEvent` made while discovering subscriptions. */
  subscribe?(subscription: { provider: string; target: string; names: string[]; options?: Record<string, unknown> }): void;
}

/**
 * How a run ended, as the guest or a limit decided; `result` is the return value of the first matched
 * handler that returned something (JSON-copied), undefined when none did.
 */
export type RunOutcome = { ok: true; handled: number; result?: unknown } | { ok: false; error: Error };

/** An error the flow threw (or an SDK error it let through), rebuilt from its plain-data form. */
export class FlowError extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

const SDK_CODES: ReadonlySet<string> = new Set<SdkErrorCode>([
  'NOT_IN_RUNTIME',
  'NOT_IN_HANDLER',
  'MISSING_ENV',
  'SECRET_NOT_FOUND',
  'SECRET_REFUSED',
  'LLM_FAILED',
  'BUDGET_EXCEEDED',
  'GITHUB_NOT_CONNECTED',
  'SLACK_NOT_CONNECTED',
  'INVALID_ARGUMENT',
  'EGRESS_REFUSED',
  'FETCH_FAILED',
  'LIMIT_FETCH',
  'REQUEST_FAILED',
]);

/**
 * The error a run failed with, from the guest's `{ name, code, message, stack }`: an SdkError when
 * the code is one of the SDK's (so that retry decisions see it), else a FlowError. Limit codes are
 * never taken from the guest: only the host decides that a limit was hit.
 */
export function errorFromGuest(wire: { name?: unknown; code?: unknown; message?: unknown; stack?: unknown }): Error {
  const message = typeof wire.message === 'string' ? wire.message : 'the flow failed';
  if (typeof wire.code === 'string' && SDK_CODES.has(wire.code)) return new SdkError(wire.code as SdkErrorCode, message);
  return new FlowError(
    typeof wire.name === 'string' ? wire.name : 'Error',
    message,
    typeof wire.stack === 'string' ? wire.stack : undefined,
  );
}

/**
 * The host's record of one run inside an isolate: its limits and what it has used (CPU, calls, log
 * volume), its live timers, and the promise of its outcome, settled once by the guest or a limit.
 */
export class FlowRun {
  cpuNs = 0n;
  calls = 0;
  logLines = 0;
  logChars = 0;
  /** True when the guest reported the end (`done` / `fail`): its context has reset itself and may serve another run. */
  endedByGuest = false;
  readonly timers = new Map<number, NodeJS.Timeout>();
  readonly outcome: Promise<RunOutcome>;
  private settleOutcome!: (outcome: RunOutcome) => void;
  private endedWith?: RunOutcome;

  constructor(
    readonly limits: FlowLimits,
    readonly handler: RunHandler,
  ) {
    this.outcome = new Promise((resolve) => {
      this.settleOutcome = resolve;
    });
  }

  get ended(): boolean {
    return this.endedWith !== undefined;
  }

  /** True when the run ended because a limit stopped it (its context is not reused). */
  get limited(): boolean {
    return this.endedWith?.ok === false && this.endedWith.error instanceof FlowLimitError;
  }

  settle(outcome: RunOutcome): void {
    if (this.endedWith) return;
    this.endedWith = outcome;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.settleOutcome(outcome);
  }

  fail(error: Error): void {
    this.settle({ ok: false, error });
  }

  /** Counts a log line; @returns false (and fails the run with LIMIT_LOG) past the run's log volume. */
  countLog(chars: number): boolean {
    this.logLines += 1;
    this.logChars += chars;
    if (this.logLines <= BRIDGE_LIMITS.logLines && this.logChars <= BRIDGE_LIMITS.logChars) return true;
    this.fail(
      new FlowLimitError(
        'LIMIT_LOG',
        `the flow wrote more than ${BRIDGE_LIMITS.logLines} log lines or ${BRIDGE_LIMITS.logChars} characters in one run`,
      ),
    );
    return false;
  }

  /** Counts an SDK call; @returns false (and fails the run with LIMIT_OUTPUT) past the run's call budget. */
  countCall(): boolean {
    this.calls += 1;
    if (this.calls <= BRIDGE_LIMITS.calls) return true;
    this.fail(new FlowLimitError('LIMIT_OUTPUT', `the flow made more than ${BRIDGE_LIMITS.calls} SDK calls in one run`));
    return false;
  }
}
