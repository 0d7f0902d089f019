import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from './database';
import { deployments, flows, subscriptions } from './schema';
import { DATABASE } from './tokens';

export type Flow = typeof flows.$inferSelect;
export type Deployment = typeof deployments.$inferSelect;
export type Subscription = typeof subscriptions.$inferSelect;

/** A subscription as `run()` declared it: provider, target (`owner/repo`) and event name. */
export interface SubscriptionSpec {
  provider: string;
  target: string;
  event: string;
}

/** A stored subscription: `registered` is false while no connection delivers its events. */
export interface RegisteredSubscription extends SubscriptionSpec {
  registered: boolean;
}

/** A flow with its live deployment (if any) and that deployment's subscriptions. */
export interface FlowDetail {
  flow: Flow;
  deployment?: Omit<Deployment, 'bundle'>;
  subscriptions: RegisteredSubscription[];
}

/** A subscribed flow found for an event, with the deployment that will run it. */
export interface MatchedFlow {
  flowId: string;
  deploymentId: string;
}

/** Flows, their deployments and subscriptions. The only code that queries those tables. */
@Injectable()
export class FlowsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Stores a new deployment of `name` (creating the flow on first deploy) and makes it the live one in
   * one transaction: the previous deployment and its subscriptions stop matching at the same instant.
   */
  async deploy(input: {
    ownerId: string;
    name: string;
    bundle: string;
    env: Record<string, string>;
    /** `registered` defaults to true. */
    subscriptions: (SubscriptionSpec & { registered?: boolean })[];
  }): Promise<FlowDetail> {
    return this.db.transaction(async (tx) => {
      const [flow] = await tx
        .insert(flows)
        .values({ ownerId: input.ownerId, name: input.name })
        .onConflictDoUpdate({ target: [flows.ownerId, flows.name], set: { updatedAt: sql`now()` } })
        .returning();
      const [{ next }] = await tx
        .select({ next: sql<number>`coalesce(max(${deployments.version}), 0) + 1` })
        .from(deployments)
        .where(eq(deployments.flowId, flow.id));
      if (flow.activeDeploymentId) {
        await tx.update(deployments).set({ status: 'superseded' }).where(eq(deployments.id, flow.activeDeploymentId));
      }
      const [deployment] = await tx
        .insert(deployments)
        .values({ flowId: flow.id, version: Number(next), bundle: input.bundle, env: input.env, status: 'active' })
        .returning();
      if (input.subscriptions.length > 0) {
        await tx.insert(subscriptions).values(input.subscriptions.map((s) => ({ ...s, deploymentId: deployment.id, flowId: flow.id })));
      }
      const [updated] = await tx
        .update(flows)
        .set({ activeDeploymentId: deployment.id, updatedAt: sql`now()` })
        .where(eq(flows.id, flow.id))
        .returning();
      const { bundle: _bundle, ...summary } = deployment;
      const stored = input.subscriptions.map((s) => ({ ...s, registered: s.registered ?? true }));
      return { flow: updated, deployment: summary, subscriptions: stored };
    });
  }

  /** Stops an owner's flow from receiving events; its history stays. Returns false when the owner has no such flow. */
  async undeploy(ownerId: string, name: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [flow] = await tx
        .select()
        .from(flows)
        .where(and(eq(flows.ownerId, ownerId), eq(flows.name, name)));
      if (!flow) return false;
      if (flow.activeDeploymentId) {
        await tx.update(deployments).set({ status: 'undeployed' }).where(eq(deployments.id, flow.activeDeploymentId));
        await tx
          .update(flows)
          .set({ activeDeploymentId: null, updatedAt: sql`now()` })
          .where(eq(flows.id, flow.id));
      }
      return true;
    });
  }

  /** An owner's flows, newest first, with their live deployment. */
  async list(ownerId: string): Promise<FlowDetail[]> {
    const rows = await this.db.select().from(flows).where(eq(flows.ownerId, ownerId)).orderBy(desc(flows.createdAt));
    return Promise.all(rows.map((flow) => this.detail(flow)));
  }

  /** One of an owner's flows by name, or undefined (also when another owner has a flow of that name). */
  async findByName(ownerId: string, name: string): Promise<FlowDetail | undefined> {
    const [flow] = await this.db
      .select()
      .from(flows)
      .where(and(eq(flows.ownerId, ownerId), eq(flows.name, name)));
    return flow ? this.detail(flow) : undefined;
  }

  async findById(id: string): Promise<Flow | undefined> {
    const [row] = await this.db.select().from(flows).where(eq(flows.id, id));
    return row;
  }

  /** A deployment with its bundle, as the worker loads it. */
  async findDeployment(id: string): Promise<Deployment | undefined> {
    const [row] = await this.db.select().from(deployments).where(eq(deployments.id, id));
    return row;
  }

  /**
   * An owner's live flows subscribed to an event name on a target (or on any of several names of
   * either): events reach the flows of whoever connected the account they came through, no one else's.
   */
  async match(
    provider: string,
    target: string | readonly string[],
    event: string | readonly string[],
    ownerId: string,
  ): Promise<MatchedFlow[]> {
    // Slack events match under several names of one channel (team id or name, channel id or name), and
    // a message subtype a flow opted into under `message.<subtype>`.
    const targets = typeof target === 'string' ? [target] : [...target];
    const names = typeof event === 'string' ? [event] : [...event];
    return this.db
      .select({ flowId: subscriptions.flowId, deploymentId: subscriptions.deploymentId })
      .from(subscriptions)
      .innerJoin(flows, eq(flows.activeDeploymentId, subscriptions.deploymentId))
      .where(
        and(
          eq(subscriptions.provider, provider),
          inArray(subscriptions.target, targets),
          inArray(subscriptions.event, names),
          eq(flows.ownerId, ownerId),
        ),
      )
      .groupBy(subscriptions.flowId, subscriptions.deploymentId);
  }

  /**
   * The distinct (owner, target) pairs of `provider` that live deployments subscribe to, with whether
   * they are registered.
   */
  async liveTargets(provider: string): Promise<{ ownerId: string; target: string; registered: boolean }[]> {
    return this.db
      .selectDistinct({ ownerId: flows.ownerId, target: subscriptions.target, registered: subscriptions.registered })
      .from(subscriptions)
      .innerJoin(flows, eq(flows.activeDeploymentId, subscriptions.deploymentId))
      .where(eq(subscriptions.provider, provider));
  }

  /** The distinct (target, event) pairs of `provider` that an owner's live deployments subscribe to. */
  async liveSubscriptions(provider: string, ownerId: string): Promise<{ target: string; event: string }[]> {
    return this.db
      .selectDistinct({ target: subscriptions.target, event: subscriptions.event })
      .from(subscriptions)
      .innerJoin(flows, eq(flows.activeDeploymentId, subscriptions.deploymentId))
      .where(and(eq(subscriptions.provider, provider), eq(flows.ownerId, ownerId)));
  }

  /** Marks every subscription of an owner's flows to `provider`/`target` registered or not. @returns how many changed. */
  async setRegistered(ownerId: string, provider: string, target: string, registered: boolean): Promise<number> {
    const owned = this.db.select({ id: flows.id }).from(flows).where(eq(flows.ownerId, ownerId));
    const rows = await this.db
      .update(subscriptions)
      .set({ registered })
      .where(
        and(
          inArray(subscriptions.flowId, owned),
          eq(subscriptions.provider, provider),
          eq(subscriptions.target, target),
          ne(subscriptions.registered, registered),
        ),
      )
      .returning({ id: subscriptions.id });
    return rows.length;
  }

  private async detail(flow: Flow): Promise<FlowDetail> {
    if (!flow.activeDeploymentId) return { flow, subscriptions: [] };
    const [deployment] = await this.db
      .select({
        id: deployments.id,
        flowId: deployments.flowId,
        version: deployments.version,
        env: deployments.env,
        status: deployments.status,
        source: deployments.source,
        buildLog: deployments.buildLog,
        error: deployments.error,
        createdAt: deployments.createdAt,
        finishedAt: deployments.finishedAt,
      })
      .from(deployments)
      .where(eq(deployments.id, flow.activeDeploymentId));
    const subs = await this.db
      .select({
        provider: subscriptions.provider,
        target: subscriptions.target,
        event: subscriptions.event,
        registered: subscriptions.registered,
      })
      .from(subscriptions)
      .where(eq(subscriptions.deploymentId, flow.activeDeploymentId));
    return { flow, deployment, subscriptions: subs };
  }
}
