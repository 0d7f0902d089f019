import type { ProviderAdapter } from '@openflows/common';

/**
 * Every provider the platform speaks, by id. The pipeline asks it for the adapter of an event's
 * provider, or iterates over all of them; it never names one.
 */
export class ProviderRegistry {
  private readonly byId: ReadonlyMap<string, ProviderAdapter>;

  /** @throws Error when two adapters claim the same id (checked at boot). */
  constructor(readonly adapters: readonly ProviderAdapter[]) {
    this.byId = new Map(adapters.map((adapter) => [adapter.id, adapter]));
    if (this.byId.size !== adapters.length) throw new Error(`two provider adapters share an id: ${adapters.map((a) => a.id).join(', ')}`);
  }

  /** The adapter of provider `id`, or undefined for one the platform does not speak (an old event's). */
  get(id: string): ProviderAdapter | undefined {
    return this.byId.get(id);
  }
}
