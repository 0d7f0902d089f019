import type { FlowLimits } from '@openflows/common';
import { SdkError, type SdkErrorCode } from '@openflows/sdk';

/** What may cross the bridge in one run: the largest message, SDK calls, live timers, log volume. */
export const BRIDGE_LIMITS = {
  /** Characters of one message (SDK call arguments, a log line, an error) from the flow. */
  messageChars: 4 * 1024 * 1024,
  /** SDK calls in one run. */
  calls: 10_000,
  /** Timers alive at once in one run. */
  timers: 1000,
  /** Log lines in one run (the run keeps the first 1000; past this many the run fails). */
  logLines: 10_000,
  /** Characters of log text in one run. */
  logChars: 4 * 1024 * 1024,
} as const;

/** A run stopped by a limit: failed with `code` (also the first word of the message), never retried. */
export class FlowLimitError extends SdkError {
  constructor(code: SdkErrorCode, message: string) {
    super(code, `${code}: ${message}`);
  }
}

/**
 * The limits of a flow: the platform's defaults, lowered (never raised) by the flow's own
 * `openflows.limits` in its package.json (`{ cpuMs, wallMs, memoryMb }`, all optional).
 */
export function tightenLimits(defaults: FlowLimits, own: Partial<FlowLimits> | undefined): FlowLimits {
  const lower = (base: number, value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(base, Math.floor(value)) : base;
  return {
    cpuMs: lower(defaults.cpuMs, own?.cpuMs),
    wallMs: lower(defaults.wallMs, own?.wallMs),
    memoryMb: Math.max(8, lower(defaults.memoryMb, own?.memoryMb)),
  };
}

export function cpuLimitError(limits: FlowLimits): FlowLimitError {
  return new FlowLimitError('LIMIT_CPU', `the flow used more than its ${limits.cpuMs} ms of CPU time in this run`);
}

export function wallLimitError(limits: FlowLimits): FlowLimitError {
  return new FlowLimitError('LIMIT_WALL', `the run took longer than its ${limits.wallMs} ms limit`);
}

export function memoryLimitError(limits: FlowLimits): FlowLimitError {
  return new FlowLimitError('LIMIT_MEMORY', `the flow's isolate ran out of its ${limits.memoryMb} MB heap`);
}
