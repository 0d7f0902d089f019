/**
 * The guest side of the isolation bridge: the only way out of a flow's isolate. Every message is
 * primitives (strings and numbers), copied by isolated-vm; the host answers calls by entering the
 * isolate through {@link resume}. Nothing here trusts, or is trusted by, the host.
 */
import { SdkError, type SdkErrorCode } from '@openflows/sdk';

/** Messages the guest sends; the host's `GuestMessage` parser mirrors these. */
export type Send = (kind: string, a?: string | number, b?: string | number, c?: string | number) => void;

/** A failure as it crosses the bridge, in both directions. */
export interface WireError {
  name?: string;
  code?: string;
  message: string;
  stack?: string;
  status?: number;
  data?: unknown;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The host's `send`, captured before flow code runs and then removed from the global object. */
let send: Send = () => {
  throw new Error('the OpenFlows bridge is not connected');
};
const pending = new Map<number, Pending>();
let lastCallId = 0;

export function connect(hostSend: Send): void {
  send = hostSend;
}

/**
 * Messages one run may send. Past the host's own limits (10,000 log lines, 10,000 SDK calls) the run
 * has failed already; dropping the rest here keeps a loop that floods the bridge from flooding the
 * host's event loop too, and leaves it to the CPU limit.
 */
const MESSAGES_PER_RUN = 25_000;
let messages = 0;

/** Log lines sent in one message at most. */
const LOG_BATCH = 500;

/** Log lines not sent yet, as `[level, message, fieldsJson]`; sent as one `logs` message. */
let logs: [string, string, string][] = [];
let logsScheduled = false;

/** A new run starts with its whole message budget and no log lines. */
export function resetMessageBudget(): void {
  messages = 0;
  logs = [];
}

export function post(kind: string, a?: string | number, b?: string | number, c?: string | number): void {
  flushLogs();
  // The run's end always gets through, so that the host hears of it.
  if (kind !== 'done' && kind !== 'fail' && kind !== 'enter' && ++messages > MESSAGES_PER_RUN) return;
  send(kind, a, b, c);
}

/**
 * Queues a log line: lines go to the host in one message when the flow's synchronous code yields,
 * before any other message (so the host sees everything in the order the flow wrote it), or every
 * LOG_BATCH lines. A message per line would cost the isolate more than the line itself.
 */
export function postLog(level: string, message: string, fieldsJson: string, now = false): void {
  logs.push([level, message, fieldsJson]);
  // A loop that never yields still gets its lines out, a batch at a time.
  if (now || logs.length >= LOG_BATCH) return flushLogs();
  if (logsScheduled) return;
  logsScheduled = true;
  void Promise.resolve().then(flushLogs);
}

function flushLogs(): void {
  logsScheduled = false;
  if (logs.length === 0) return;
  const batch = logs;
  logs = [];
  if (++messages > MESSAGES_PER_RUN) return;
  send('logs', JSON.stringify(batch));
}

/**
 * Calls host capability `capability` (`github.request`, `store.get`, …) with JSON-copyable `args`.
 * @returns the host's copied result, parsed from JSON.
 * @throws SdkError rebuilt from the host's `{ code, message }`.
 */
export function call(capability: string, args: unknown[]): Promise<unknown> {
  const id = ++lastCallId;
  const message = JSON.stringify(args);
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    post('call', id, capability, message);
  });
}

/** Entered by the host when call `id` has settled: `result` is JSON of the value or of a {@link WireError}. */
export function resume(id: number, ok: boolean, result: string): void {
  const waiting = pending.get(id);
  if (!waiting) return;
  pending.delete(id);
  if (ok) waiting.resolve(result === undefined || result === '' ? undefined : JSON.parse(result));
  else waiting.reject(toSdkError(JSON.parse(result) as WireError));
}

/** Forgets calls of an abandoned run so that their promises are collected. */
export function forgetPending(): void {
  pending.clear();
}

function toSdkError(wire: WireError): SdkError {
  const error = new SdkError((wire.code ?? 'REQUEST_FAILED') as SdkErrorCode, wire.message, { status: wire.status, data: wire.data });
  return error;
}

/** A thrown value as plain data, for the host to record on the run. */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const coded = error as Error & { code?: unknown; status?: unknown };
    return {
      name: String(error.name),
      code: typeof coded.code === 'string' ? coded.code : undefined,
      message: String(error.message),
      stack: typeof error.stack === 'string' ? error.stack : undefined,
    };
  }
  return { message: `flow threw a non-error value: ${describe(error)}` };
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : String(JSON.stringify(value));
  } catch {
    return typeof value;
  }
}
