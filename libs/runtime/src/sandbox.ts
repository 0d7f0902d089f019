import { errorMessage } from '@openflows/common';
import { Script, createContext } from 'node:vm';
import { SdkError, type FlowLogger } from '@openflows/sdk';
import type { Sdk } from '@openflows/sdk/sdk';
import { FlowDeployError } from './errors';

/** What a flow module must export. */
export interface FlowModule {
  run(): unknown;
}

/** Synchronous top-level code of a flow may run this long (ms) before it is stopped. */
const LOAD_TIMEOUT_MS = 1000;

function consoleFor(log: FlowLogger): Pick<Console, 'log' | 'info' | 'warn' | 'error' | 'debug'> {
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    log: (...args: unknown[]) => log.info(line(args)),
    info: (...args: unknown[]) => log.info(line(args)),
    debug: (...args: unknown[]) => log.debug(line(args)),
    warn: (...args: unknown[]) => log.warn(line(args)),
    error: (...args: unknown[]) => log.error(line(args)),
  };
}

/**
 * Evaluates a flow bundle in its own V8 context whose only way out is the SDK: no `process`, no
 * `require` of host modules, no file system, no `fetch`. Not a security boundary (the SDK's objects
 * come from the host realm); it keeps flows honest so that real isolation later changes no flow.
 * @throws FlowDeployError FLOW_INVALID when the code throws while loading or exports no `run()`.
 */
export function loadFlowModule(bundle: string, sdk: Sdk, filename: string): FlowModule {
  const require = (id: string): unknown => {
    if (id === '@openflows/sdk') return sdk;
    throw new SdkError(
      'INVALID_ARGUMENT',
      `flows can import only @openflows/sdk and the packages bundled with them; "${id}" is not available`,
    );
  };
  const module: { exports: Record<string, unknown> } = { exports: {} };
  // The CommonJS bundle reads `module`, `exports` and `require` as free variables of its context.
  const context = createContext({ ...globalsFor(sdk.log), module, exports: module.exports, require });
  try {
    new Script(bundle, { filename }).runInContext(context, { timeout: LOAD_TIMEOUT_MS });
  } catch (error) {
    throw new FlowDeployError('FLOW_INVALID', `flow failed to load: ${errorMessage(error)}`);
  }
  const run = module.exports.run;
  if (typeof run !== 'function') throw new FlowDeployError('FLOW_INVALID', 'flow module must export an async function run()');
  return { run: () => (run as () => unknown)() };
}

/** The globals a flow sees besides the language's own: timers, URL and text helpers, a console. */
function globalsFor(log: FlowLogger): Record<string, unknown> {
  return {
    console: consoleFor(log),
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    structuredClone,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    AbortController,
    atob,
    btoa,
  };
}
