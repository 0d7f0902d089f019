import { DEFAULT_FLOW_LIMITS, errorMessage, type FlowLimits } from '@openflows/common';
import { SdkError, type EventSource } from '@openflows/sdk';
import { FlowDeployError } from './errors';
import { FlowIsolate } from './isolate/flow-isolate';
import { FlowLimitError, tightenLimits } from './isolate/limits';
import { bundleLimits } from './bundle';

/** A subscription as `run()` declares it at deploy. */
export interface DeclaredSubscription {
  provider: EventSource['provider'];
  target: string;
  event: string;
  /** `EventSource.options` as the flow gave it (JSON), for the provider's registration. */
  options?: Record<string, unknown>;
}

/** How long `run()` may take at deploy to declare its subscriptions (ms), whatever the flow's wall limit. */
const DISCOVERY_TIMEOUT_MS = 5000;

/**
 * Calls the flow's `run()` once, in a new isolate under `limits` (the platform's, tightened by the
 * bundle's own), with an SDK that records
 * `listenToEvent` calls instead of waiting for events. Everything else the SDK offers only works in a
 * handler and throws NOT_IN_HANDLER here. Runs in the api process, which holds secrets: the isolate
 * is the only thing between them and the flow.
 * @returns the de-duplicated subscriptions.
 * @throws FlowDeployError FLOW_INVALID when the flow cannot load, throws, hits a limit (its code in
 *   the message), or declares nothing.
 */
export async function discoverSubscriptions(
  bundle: string,
  env: Record<string, string>,
  name: string,
  platformLimits: FlowLimits = DEFAULT_FLOW_LIMITS,
): Promise<DeclaredSubscription[]> {
  const limits = tightenLimits(platformLimits, bundleLimits(bundle));
  const found = new Map<string, DeclaredSubscription>();
  const notHere = () => Promise.reject(new SdkError('NOT_IN_HANDLER', 'only listenToEvent, env and log work in run()'));
  const isolate = new FlowIsolate(bundle, `${name}.js`, limits.memoryMb);
  try {
    await isolate.execute(
      { mode: 'discover', env },
      { ...limits, wallMs: Math.min(limits.wallMs, DISCOVERY_TIMEOUT_MS) },
      {
        call: notHere,
        log: () => undefined,
        subscribe({ provider, target, names, options }) {
          const declared = options && typeof options === 'object' && !Array.isArray(options) ? { options } : {};
          for (const event of Array.isArray(names) ? names : []) {
            if (typeof provider !== 'string' || typeof target !== 'string' || typeof event !== 'string') continue;
            const subscription = { provider, target, event, ...declared };
            found.set(JSON.stringify(subscription), subscription);
          }
        },
      },
    );
  } catch (error) {
    if (error instanceof FlowDeployError) throw error;
    const wall = error instanceof FlowLimitError && error.code === 'LIMIT_WALL';
    const reason = wall ? `run() did not finish within ${DISCOVERY_TIMEOUT_MS} ms` : errorMessage(error);
    const code = error instanceof FlowLimitError && !wall ? ` (${error.code})` : '';
    throw new FlowDeployError('FLOW_INVALID', `run() failed at deploy: ${reason}${code}`);
  } finally {
    isolate.dispose();
  }
  if (found.size === 0) throw new FlowDeployError('FLOW_INVALID', 'run() declared no subscription; call listenToEvent(...) in it');
  return [...found.values()];
}
