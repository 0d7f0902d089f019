import type { FlowsConfig } from '@openflows/common';
import { bundleLimits } from '../bundle';
import { dispatchStart, type RunRequest, type RunResult } from '../run';
import { dispatchHandler } from './capabilities';
import { FlowIsolate } from './flow-isolate';
import { IsolateCache } from './isolate-cache';
import { tightenLimits } from './limits';

/**
 * Runs flows in warm isolates (one per deployment, see IsolateCache) under the configured limits, a
 * flow's own `openflows.limits` tightening them. One per worker process.
 */
export class FlowRuntime {
  private readonly cache: IsolateCache;

  constructor(private readonly config: Pick<FlowsConfig, 'limits' | 'isolates'>) {
    this.cache = new IsolateCache(config.isolates);
  }

  /**
   * Runs `request` in its deployment's isolate (a new one for a request without `isolate`).
   * @throws as {@link executeFlow}, and IsolateDisposedError when another run's limit stopped the isolate.
   */
  async execute(request: RunRequest): Promise<RunResult> {
    const limits = tightenLimits(this.config.limits, bundleLimits(request.bundle));
    const create = () => new FlowIsolate(request.bundle, `${request.flowName}.js`, limits.memoryMb);
    const isolate = request.isolate ? this.cache.get(request.isolate, create) : create();
    try {
      return await isolate.execute(dispatchStart(request), limits, dispatchHandler(request.services));
    } finally {
      if (!request.isolate) isolate.dispose();
    }
  }

  /** Disposes every isolate; call at shutdown. */
  close(): void {
    this.cache.clear();
  }
}
