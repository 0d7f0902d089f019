import { FlowIsolate } from './flow-isolate';

/** Which deployment an isolate belongs to; an isolate is never shared between owners or deployments. */
export interface IsolateKey {
  ownerId: string;
  flowId: string;
  deploymentId: string;
}

/**
 * Warm isolates, one per deployment, least recently used dropped first past `capacity`. A flow's new
 * deployment replaces its old isolate; a disposed isolate (a limit stopped it) is rebuilt on next use.
 * Dropped isolates are disposed once their last run has ended.
 */
export class IsolateCache {
  private readonly entries = new Map<string, { key: IsolateKey; isolate: FlowIsolate }>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The deployment's isolate, made with `create` when there is none (or it was disposed). */
  get(key: IsolateKey, create: () => FlowIsolate): FlowIsolate {
    const id = `${key.ownerId}/${key.flowId}`;
    const found = this.entries.get(id);
    this.entries.delete(id);
    if (found && found.key.deploymentId === key.deploymentId && !found.isolate.disposed) {
      this.entries.set(id, found);
      return found.isolate;
    }
    if (found) this.retire(found.isolate);
    const isolate = create();
    this.entries.set(id, { key, isolate });
    while (this.entries.size > this.capacity) {
      const [oldest, entry] = this.entries.entries().next().value as [string, { isolate: FlowIsolate }];
      this.entries.delete(oldest);
      this.retire(entry.isolate);
    }
    return isolate;
  }

  /** Disposes every isolate (process shutdown). */
  clear(): void {
    for (const { isolate } of this.entries.values()) isolate.dispose();
    this.entries.clear();
  }

  /** Disposes `isolate` now when idle, else after its runs end (checked as they finish). */
  private retire(isolate: FlowIsolate): void {
    if (isolate.active === 0) {
      isolate.dispose();
      return;
    }
    const poll = setInterval(() => {
      if (isolate.active > 0) return;
      clearInterval(poll);
      isolate.dispose();
    }, 1000);
    poll.unref();
  }
}
