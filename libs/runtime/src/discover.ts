import { errorMessage } from '@openflows/common';
import { SdkError, type EventSource, type FlowLogger, type FlowStore } from '@openflows/sdk';
import { createSdk } from '@openflows/sdk/sdk';
import type { SdkHost } from '@openflows/sdk/host';
import { FlowDeployError } from './errors';
import { loadFlowModule } from './sandbox';

/** A subscription as `run()` declares it at deploy. */
export interface DeclaredSubscription {
  provider: EventSource['provider'];
  target: string;
  event: string;
}

/** How long `run()` may take at deploy to declare its subscriptions (ms). */
const DISCOVERY_TIMEOUT_MS = 5000;

/**
 * Calls the flow's `run()` once, with an SDK that records `listenToEvent` calls instead of waiting for
 * events. Everything else the SDK offers only works in a handler and throws NOT_IN_HANDLER here.
 * @returns the de-duplicated subscriptions.
 * @throws FlowDeployError FLOW_INVALID when the flow cannot load, throws, or declares nothing.
 */
export async function discoverSubscriptions(bundle: string, env: Record<string, string>, name: string): Promise<DeclaredSubscription[]> {
  const found = new Map<string, DeclaredSubscription>();
  const notHere = (): never => {
    throw new SdkError('NOT_IN_HANDLER', 'only listenToEvent, env and log work in run(); call the rest from an event handler');
  };
  const quiet = () => undefined;
  const log: FlowLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet };
  const store: FlowStore = { get: notHere, set: notHere, del: notHere };
  const host: SdkHost = {
    async listen(source, eventNames) {
      for (const event of eventNames) {
        const subscription = { provider: source.provider, target: source.target, event };
        found.set(JSON.stringify(subscription), subscription);
      }
    },
    chatCompletion: notHere,
    github: notHere,
    githubContext: notHere,
    slack: notHere,
    slackContext: notHere,
    store,
    env: (key) => env[key],
    log,
  };
  const flow = loadFlowModule(bundle, createSdk(host), `${name}.js`);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve(flow.run()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`run() did not finish within ${DISCOVERY_TIMEOUT_MS} ms`)), DISCOVERY_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    throw new FlowDeployError('FLOW_INVALID', `run() failed at deploy: ${errorMessage(error)}`);
  } finally {
    clearTimeout(timer);
  }
  if (found.size === 0) throw new FlowDeployError('FLOW_INVALID', 'run() declared no subscription; call listenToEvent(...) in it');
  return [...found.values()];
}
