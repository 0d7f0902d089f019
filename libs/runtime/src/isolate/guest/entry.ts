/**
 * What runs first in every flow context: the language's missing web globals, the SDK bound to the
 * bridge, the CommonJS loader of the flow's bundle, and the entry points the host calls. Bundled by
 * esbuild into one script (see `guest-script.ts`); it receives only `__openflowsSend`, a callback that
 * copies primitives to the host.
 */
import { SdkError } from '@openflows/sdk';
import { createSdk } from '@openflows/sdk/sdk';
import { connect, forgetPending, post, resetMessageBudget, resume, toWireError, type Send } from './bridge';
import { consoleFor } from './console';
import { Headers, Response, flowFetch } from './fetch';
import { beginRun, endRun, guestHost, guestLog, type RunStart } from './host';
import { defineLazyGlobals } from './lazy-globals';
import { clearTimers, fireTimer, timerGlobals } from './timers';

/** The isolate's global object, as the guest writes to it. */
const global = globalThis as unknown as Record<string, unknown>;

connect(global.__openflowsSend as Send);
delete global.__openflowsSend;
// The context is being made for a run: what follows (the guest, then the flow's top level) is its CPU.
post('enter');

const sdk = createSdk(guestHost);
const sdkModule = { ...sdk, SdkError, fetch: flowFetch, default: undefined as unknown };
sdkModule.default = sdkModule;

Object.assign(global, {
  ...timerGlobals,
  console: consoleFor(guestLog),
  queueMicrotask: (callback: () => void) => void Promise.resolve().then(callback),
  fetch: flowFetch,
  Headers,
  Response,
});
defineLazyGlobals(global);

function requireFor(id: string): unknown {
  if (id === '@openflows/sdk') return sdkModule;
  throw new SdkError(
    'INVALID_ARGUMENT',
    `flows can import only @openflows/sdk and the packages bundled with them; "${id}" is not available`,
  );
}

const flowModule: { exports: Record<string, unknown> } = { exports: {} };

/**
 * Evaluates the flow's bundle, which the host compiled as `__openflowsFlow(module, exports, require)`.
 * @returns false when the module exports no `run()` function.
 */
function load(): boolean {
  const factory = global.__openflowsFlow as (module: unknown, exports: unknown, require: unknown) => void;
  delete global.__openflowsFlow;
  factory(flowModule, flowModule.exports, requireFor);
  return typeof flowModule.exports.run === 'function';
}

/**
 * Starts a run; the outcome reaches the host as a `done` (handler count and the JSON of the run's
 * result) or `fail` message.
 */
function start(json: string): void {
  resetMessageBudget();
  const run = beginRun(JSON.parse(json) as RunStart);
  // No value the flow could have made thenable (a polluted prototype) is returned from these callbacks.
  const end = (kind: 'done' | 'fail', detail: string | number, result?: string) => {
    // Forget the run before the host hears it ended, so that the context is ready for the next one.
    finish();
    post(kind, detail, result);
  };
  void Promise.resolve()
    .then(() => (flowModule.exports.run as () => unknown)())
    .then(() => Promise.all(run.handlers))
    .then((values) => resultJson(values))
    .then(
      (result) => end('done', run.handlers.length, result),
      (error: unknown) => end('fail', describeFailure(error)),
    );
}

/**
 * The run's result as JSON: the return value of the first matched handler (in `listenToEvent` order)
 * that returned something, `''` when none did (an HTTP endpoint's response, see `http.json`).
 * @throws SdkError INVALID_ARGUMENT when that value cannot be written as JSON (a cycle, a BigInt).
 */
function resultJson(values: unknown[]): string {
  let value: unknown;
  // A loop, not values.find: the flow may have replaced Array.prototype's methods.
  for (let i = 0; i < values.length && value === undefined; i += 1) value = values[i];
  if (value === undefined) return '';
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new SdkError('INVALID_ARGUMENT', `the handler's return value cannot be sent as JSON: ${String((error as Error)?.message)}`);
  }
  return json ?? '';
}

/** The JSON of a thrown value for the host; never throws, whatever the flow did to prototypes. */
function describeFailure(error: unknown): string {
  try {
    return JSON.stringify(toWireError(error));
  } catch {
    return '{"message":"the flow failed with an error that cannot be described"}';
  }
}

/** Ends the run on the guest's side: its timers and unanswered calls are forgotten. */
function finish(): void {
  endRun();
  clearTimers();
  forgetPending();
}

/** Each entry says `enter` first, so that the host charges the CPU of what follows to this context's run. */
function entered<A extends unknown[], R>(entry: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    post('enter');
    return entry(...args);
  };
}

global.__openflows = { load: entered(load), start: entered(start), resume: entered(resume), fireTimer: entered(fireTimer) };
