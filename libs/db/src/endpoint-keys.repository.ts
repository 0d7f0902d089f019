import { Inject, Injectable } from '@nestjs/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from './database';
import { endpointKeys, flows, subscriptions } from './schema';
import { DATABASE } from './tokens';

export type EndpointKey = typeof endpointKeys.$inferSelect;

/**
 * An endpoint key with the flow it opens, as a request to `/f/<key>/…` resolves it: `live` when the
 * flow's live deployment still declares the endpoint, with the `options` it declared it with.
 */
export interface KeyedEndpoint {
  endpoint: string;
  flow: typeof flows.$inferSelect;
  live: boolean;
  options: Record<string, unknown> | null;
}

/** The keys of HTTP endpoints' URLs. The only code that queries the endpoint_keys table. */
@Injectable()
export class EndpointKeysRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * The keys of `flowId`'s endpoints named in `wanted` (endpoint → new key to store when it has none):
   * existing keys are kept, the missing ones stored. @returns endpoint → key, for every one of `wanted`.
   */
  async ensure(flowId: string, wanted: Record<string, string>): Promise<Record<string, string>> {
    const endpoints = Object.keys(wanted);
    if (endpoints.length === 0) return {};
    await this.db
      .insert(endpointKeys)
      .values(endpoints.map((endpoint) => ({ flowId, endpoint, key: wanted[endpoint] })))
      .onConflictDoNothing({ target: [endpointKeys.flowId, endpointKeys.endpoint] });
    const rows = await this.db
      .select({ endpoint: endpointKeys.endpoint, key: endpointKeys.key })
      .from(endpointKeys)
      .where(and(eq(endpointKeys.flowId, flowId), inArray(endpointKeys.endpoint, endpoints)));
    return Object.fromEntries(rows.map((row) => [row.endpoint, row.key]));
  }

  /**
   * The endpoint and flow `key` opens, and the live deployment's subscription of `provider` to it (one
   * query: this runs for every request), or undefined for a key that does not exist (never made,
   * rotated away, flow purged).
   */
  async findByKey(key: string, provider: string): Promise<KeyedEndpoint | undefined> {
    const [row] = await this.db
      .select({ endpoint: endpointKeys.endpoint, flow: flows, subscription: subscriptions.id, options: subscriptions.options })
      .from(endpointKeys)
      .innerJoin(flows, eq(flows.id, endpointKeys.flowId))
      .leftJoin(
        subscriptions,
        and(
          eq(subscriptions.deploymentId, flows.activeDeploymentId),
          eq(subscriptions.provider, provider),
          eq(subscriptions.target, endpointKeys.endpoint),
        ),
      )
      .where(eq(endpointKeys.key, key))
      .limit(1);
    return row && { endpoint: row.endpoint, flow: row.flow, live: row.subscription !== null, options: row.options };
  }

  /** Replaces the key of `flowId`'s endpoint with `key`. @returns false when that endpoint has no key yet. */
  async rotate(flowId: string, endpoint: string, key: string): Promise<boolean> {
    const rows = await this.db
      .update(endpointKeys)
      .set({ key, rotatedAt: sql`now()` })
      .where(and(eq(endpointKeys.flowId, flowId), eq(endpointKeys.endpoint, endpoint)))
      .returning({ id: endpointKeys.id });
    return rows.length > 0;
  }
}
