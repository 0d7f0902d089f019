import { DEFAULT_FLOW_LIMITS, type ProviderRunBinding } from '@openflows/common';
import { bundleLimits } from './bundle';
import { tightenLimits } from './isolate/limits';
import type { ChatCompletion, FlowEvent, FlowLogger, FlowStore } from '@openflows/sdk';
import type { FlowFetch } from './egress/flow-fetch';
import type { EffectJournal } from './journal/effect-journal';
import type { LlmServices } from './llm/llm-services';
import { dispatchHandler } from './isolate/capabilities';
import { FlowIsolate, type RunStart } from './isolate/flow-isolate';
import type { IsolateKey } from './isolate/isolate-cache';

/**
 * The host services one run binds the SDK to; the worker and the CLI's local loop each build theirs.
 * They stay in the host: the flow reaches them only through bridge messages (`isolate/capabilities.ts`).
 */
export interface RunServices {
  chatCompletion: ChatCompletion;
  store: FlowStore;
  log: FlowLogger;
  /** Streamed, tool-using and messages-form chat calls, images, transcriptions, embeddings; unset: they fail with NOT_IN_RUNTIME. */
  llm?: LlmServices;
  /** `fetch` of the flow, under the egress policy (`createFlowFetch`); unset: the flow's fetch fails with NOT_IN_RUNTIME. */
  fetch?: FlowFetch;
  /**
   * `getSecret(name)`: the value of the owner's generic secret `name`; throws SdkError SECRET_NOT_FOUND
   * or SECRET_REFUSED (an LLM key). Unset: the flow's getSecret fails with NOT_IN_RUNTIME.
   */
  getSecret?: (name: string) => Promise<string>;
  /**
   * Each provider's part of the run by its SDK namespace (`github`, `slack`): the context its facade
   * reads and its capabilities (see ProviderAdapter.bindRun / unbound). A namespace missing here
   * answers the flow's calls with NOT_IN_RUNTIME.
   */
  providers: Record<string, Pick<ProviderRunBinding, 'context' | 'capabilities' | 'isEffect'>>;
  /** Where the run's effects are journaled so a retry does not repeat them; unset (`openflows dev`): nothing is journaled. */
  journal?: EffectJournal;
}

/** What a run is asked to do: one event for one deployed flow. */
export interface RunRequest {
  flowName: string;
  bundle: string;
  env: Record<string, string>;
  /**
   * The event; `target` is what subscriptions match (`owner/repo`, `team/channel`, lower-case), and
   * `targets`, when given, are every name it matches under (Slack: team and channel by id or name);
   * `names`, when given, the event names a handler may listen to for it instead of `name` (Slack:
   * `message.<subtype>` for an edit, join…, which only flows that opted in receive).
   */
  event: FlowEvent & { target?: string; targets?: string[]; names?: string[] };
  services: RunServices;
  /** The deployment the run belongs to: its warm isolate is reused (FlowRuntime only). */
  isolate?: IsolateKey;
}

/**
 * What came of a run: how many handlers matched the event, and the return value of the first of them
 * that returned something (JSON-copied; an HTTP endpoint's response), absent when none did.
 */
export interface RunResult {
  handled: number;
  result?: unknown;
}

/**
 * What the guest needs to start a run: the event and env as data, and each provider's context, which
 * the SDK's `github.context` / `slack.context` read synchronously.
 */
export function dispatchStart(request: RunRequest): RunStart {
  const contexts = Object.fromEntries(
    Object.entries(request.services.providers).map(([namespace, binding]) => [namespace, binding.context]),
  );
  return { mode: 'dispatch', env: request.env, event: request.event, contexts };
}

/**
 * Runs a flow for one event in a new isolate under the default limits (tightened by the bundle's own), disposed afterwards (`openflows dev`, tests; the worker
 * keeps isolates warm with FlowRuntime). As flows.network does: `run()` is called, and each
 * `listenToEvent` whose source and event names match calls its handler; resolves when `run()` and every
 * matched handler have settled, even handlers the flow forgot to await.
 * @throws whatever the flow threw (SdkError, FlowError), FlowLimitError (LIMIT_*), FlowDeployError
 *   FLOW_INVALID when the module does not load.
 */
export async function executeFlow(request: RunRequest): Promise<RunResult> {
  const limits = tightenLimits(DEFAULT_FLOW_LIMITS, bundleLimits(request.bundle));
  const isolate = new FlowIsolate(request.bundle, `${request.flowName}.js`, limits.memoryMb);
  try {
    return await isolate.execute(dispatchStart(request), limits, dispatchHandler(request.services));
  } finally {
    isolate.dispose();
  }
}
