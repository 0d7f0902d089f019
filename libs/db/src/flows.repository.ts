import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from './database';
import { deployments, flows, subscriptions, type DeploymentSource } from './schema';
import { DATABASE } from './tokens';

export type Flow = typeof flows.$inferSelect;
export type Deployment = typeof deployments.$inferSelect;
export type Subscription = typeof subscriptions.$inferSelect;

/** A subscription as `run()` declared it: provider, target (`owner/repo`) and event name. */
export interface SubscriptionSpec {
  provider: string;
  target: string;
  event: string;
  /** What the provider's registration needs (EventSource.options); absent for most sources. */
  options?: Record<string, unknown> | null;
}

/** A stored subscription: `registered` is false while no connection delivers its events. */
export interface RegisteredSubscription extends SubscriptionSpec {
  registered: boolean;
}

/** One deploy-time variable a flow declares in its package.json (`openflows.variables.<name>`). */
export interface FlowVariable {
  description?: string;
  required?: boolean;
}

/** The variables a flow declares, by name. */
export type FlowVariables = Record<string, FlowVariable>;

/**
 * What a deployment's `source` column holds: where the code came from, plus the variables the flow's
 * package.json declared when the build read it (git and upload builds; a CLI bundle carries none).
 */
export type StoredSource = DeploymentSource & { variables?: FlowVariables };

/**
 * jsonb does not keep the order of object keys, and the order a flow declares its variables in is the
 * order of the deploy form: in the column they are a list of `{ name, description?, required? }`.
 */
type SourceRow = DeploymentSource & { variables?: (FlowVariable & { name: string })[] };

/** A {@link StoredSource} as the column holds it. */
function toRow(source: StoredSource): DeploymentSource {
  if (!source.variables) return source;
  const row: SourceRow = { ...source, variables: Object.entries(source.variables).map(([name, v]) => ({ name, ...v })) };
  return row;
}

/** The column's value as a {@link StoredSource}, variables in declaration order. */
function fromRow(value: DeploymentSource): StoredSource {
  const row = value as SourceRow;
  if (!Array.isArray(row.variables)) return row as StoredSource;
  return { ...row, variables: Object.fromEntries(row.variables.map(({ name, ...v }) => [name, v])) };
}

/** A selected row with its `source` read by {@link fromRow}. */
function withSource<T extends { source: DeploymentSource }>(row: T): Omit<T, 'source'> & { source: StoredSource } {
  return { ...row, source: fromRow(row.source) };
}

/** A deployment as listings show it: no bundle, no build log. */
export type DeploymentSummary = Omit<Deployment, 'bundle' | 'buildLog' | 'source'> & { source: StoredSource };

/** One deployment with its build log (no bundle), as the deployment page shows it. */
export type DeploymentRecord = DeploymentSummary & { buildLog: string };

/**
 * A flow with its live deployment (if any) and that deployment's subscriptions, its newest deployment
 * (`latest`, which may be building or failed, or the live one) and the variables its newest source declared.
 */
export interface FlowDetail {
  flow: Flow;
  deployment?: DeploymentRecord;
  latest?: DeploymentSummary;
  subscriptions: RegisteredSubscription[];
  variables: FlowVariables;
}

/** A subscribed flow found for an event, with the deployment that will run it. */
export interface MatchedFlow {
  flowId: string;
  deploymentId: string;
}

const summaryColumns = {
  id: deployments.id,
  flowId: deployments.flowId,
  version: deployments.version,
  env: deployments.env,
  status: deployments.status,
  source: deployments.source,
  error: deployments.error,
  createdAt: deployments.createdAt,
  finishedAt: deployments.finishedAt,
};

const recordColumns = { ...summaryColumns, buildLog: deployments.buildLog };

/** Flows, their deployments and subscriptions. The only code that queries those tables. */
@Injectable()
export class FlowsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Stores a new deployment of `name` (creating the flow on first deploy) and makes it the live one in
   * one transaction: the previous deployment and its subscriptions stop matching at the same instant.
   * `source` defaults to `{ kind: 'bundle' }` (the CLI's `POST /api/flows`).
   */
  async deploy(input: {
    ownerId: string;
    name: string;
    bundle: string;
    env: Record<string, string>;
    /** `registered` defaults to true. */
    subscriptions: (SubscriptionSpec & { registered?: boolean })[];
    source?: StoredSource;
    buildLog?: string;
  }): Promise<FlowDetail> {
    const flow = await this.db.transaction(async (tx) => {
      const { flow, version } = await this.nextVersion(tx, input.ownerId, input.name);
      const [deployment] = await tx
        .insert(deployments)
        .values({
          flowId: flow.id,
          version,
          env: input.env,
          status: 'building',
          source: toRow(input.source ?? { kind: 'bundle' }),
          buildLog: input.buildLog ?? '',
        })
        .returning({ id: deployments.id });
      return this.activateIn(tx, deployment.id, input.bundle, input.subscriptions);
    });
    return this.detail(flow!);
  }

  /**
   * Records a new deployment of `name` in status `building` (creating the flow on first deploy); the
   * live deployment, if any, stays live until {@link activate} replaces it.
   * @returns the flow's detail, its `latest` being the new deployment.
   */
  async startBuild(input: { ownerId: string; name: string; env: Record<string, string>; source: StoredSource }): Promise<FlowDetail> {
    const flow = await this.db.transaction(async (tx) => {
      const { flow, version } = await this.nextVersion(tx, input.ownerId, input.name);
      await tx.insert(deployments).values({ flowId: flow.id, version, env: input.env, status: 'building', source: toRow(input.source) });
      return flow;
    });
    return this.detail(flow);
  }

  /** Appends text to a deployment's build log (a line per build step). */
  async appendBuildLog(deploymentId: string, text: string): Promise<void> {
    await this.db
      .update(deployments)
      .set({ buildLog: sql`${deployments.buildLog} || ${text}` })
      .where(eq(deployments.id, deploymentId));
  }

  /** Replaces a deployment's source, e.g. once the build knows the commit and the declared variables. */
  async updateSource(deploymentId: string, source: StoredSource): Promise<void> {
    await this.db
      .update(deployments)
      .set({ source: toRow(source) })
      .where(eq(deployments.id, deploymentId));
  }

  /**
   * Marks a `building` deployment `failed` with `error` (one line); the flow keeps its live deployment.
   * @returns false when the deployment is gone or no longer building (cancelled, purged).
   */
  async failBuild(deploymentId: string, error: string): Promise<boolean> {
    const rows = await this.db
      .update(deployments)
      .set({ status: 'failed', error, finishedAt: sql`now()` })
      .where(and(eq(deployments.id, deploymentId), eq(deployments.status, 'building')))
      .returning({ id: deployments.id });
    return rows.length > 0;
  }

  /**
   * Makes a `building` deployment the flow's live one, with its bundle and subscriptions, exactly as
   * {@link deploy} does (the previous live deployment superseded in the same transaction).
   * @returns the flow's detail, or undefined when the deployment is gone or no longer building.
   */
  async activate(
    deploymentId: string,
    bundle: string,
    subs: (SubscriptionSpec & { registered?: boolean })[],
  ): Promise<FlowDetail | undefined> {
    const flow = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ flowId: deployments.flowId })
        .from(deployments)
        .where(and(eq(deployments.id, deploymentId), eq(deployments.status, 'building')));
      if (!row) return undefined;
      // Row lock on the flow: concurrent activations of one flow take turns.
      await tx.select({ id: flows.id }).from(flows).where(eq(flows.id, row.flowId)).for('update');
      return this.activateIn(tx, deploymentId, bundle, subs);
    });
    return flow ? this.detail(flow) : undefined;
  }

  /**
   * Marks every deployment still `building` as `failed` with `error`: at start, nothing can be building
   * any more (its process died). @returns how many.
   */
  async failInterruptedBuilds(error: string): Promise<number> {
    const rows = await this.db
      .update(deployments)
      .set({ status: 'failed', error, finishedAt: sql`now()` })
      .where(eq(deployments.status, 'building'))
      .returning({ id: deployments.id });
    return rows.length;
  }

  /** The flow row (created if new, row-locked) and the version its next deployment gets. */
  private async nextVersion(tx: Database, ownerId: string, name: string): Promise<{ flow: Flow; version: number }> {
    const [flow] = await tx
      .insert(flows)
      .values({ ownerId, name })
      .onConflictDoUpdate({ target: [flows.ownerId, flows.name], set: { updatedAt: sql`now()` } })
      .returning();
    const [{ next }] = await tx
      .select({ next: sql<number>`coalesce(max(${deployments.version}), 0) + 1` })
      .from(deployments)
      .where(eq(deployments.flowId, flow.id));
    return { flow, version: Number(next) };
  }

  /** Inside a transaction holding the flow's row: supersedes the live deployment and makes `deploymentId` live. */
  private async activateIn(
    tx: Database,
    deploymentId: string,
    bundle: string,
    subs: (SubscriptionSpec & { registered?: boolean })[],
  ): Promise<Flow> {
    const [deployment] = await tx
      .update(deployments)
      .set({ status: 'active', bundle, error: null, finishedAt: sql`now()` })
      .where(eq(deployments.id, deploymentId))
      .returning({ id: deployments.id, flowId: deployments.flowId });
    const [current] = await tx.select().from(flows).where(eq(flows.id, deployment.flowId));
    if (current.activeDeploymentId && current.activeDeploymentId !== deploymentId) {
      await tx.update(deployments).set({ status: 'superseded' }).where(eq(deployments.id, current.activeDeploymentId));
    }
    if (subs.length > 0) {
      await tx.insert(subscriptions).values(subs.map((s) => ({ ...s, deploymentId, flowId: deployment.flowId })));
    }
    const [updated] = await tx
      .update(flows)
      .set({ activeDeploymentId: deploymentId, updatedAt: sql`now()` })
      .where(eq(flows.id, deployment.flowId))
      .returning();
    return updated;
  }

  /**
   * Stops an owner's flow from receiving events; its history stays. Builds under way are marked
   * `failed` (cancelled) so they do not go live afterwards. Returns false when the owner has no such flow.
   */
  async undeploy(ownerId: string, name: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [flow] = await tx
        .select()
        .from(flows)
        .where(and(eq(flows.ownerId, ownerId), eq(flows.name, name)));
      if (!flow) return false;
      await tx
        .update(deployments)
        .set({ status: 'failed', error: 'cancelled: the flow was undeployed during the build', finishedAt: sql`now()` })
        .where(and(eq(deployments.flowId, flow.id), eq(deployments.status, 'building')));
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

  /**
   * Deletes an owner's flow with its deployments, subscriptions, runs and their logs (foreign keys
   * cascade); events stay. Returns false when the owner has no such flow.
   */
  async purge(ownerId: string, name: string): Promise<boolean> {
    const rows = await this.db
      .delete(flows)
      .where(and(eq(flows.ownerId, ownerId), eq(flows.name, name)))
      .returning({ id: flows.id });
    return rows.length > 0;
  }

  /**
   * Pauses (events no longer reach it; runs already queued still run) or resumes an owner's flow.
   * Pausing a paused flow keeps its first `pausedAt`. @returns the flow's detail, or undefined.
   */
  async setPaused(ownerId: string, name: string, paused: boolean): Promise<FlowDetail | undefined> {
    const [flow] = await this.db
      .update(flows)
      .set({ pausedAt: paused ? sql`coalesce(${flows.pausedAt}, now())` : null, updatedAt: sql`now()` })
      .where(and(eq(flows.ownerId, ownerId), eq(flows.name, name)))
      .returning();
    return flow ? this.detail(flow) : undefined;
  }

  /** An owner's flow with all its deployments newest first (no bundles, no build logs), or undefined. */
  async listDeployments(ownerId: string, name: string): Promise<{ flow: Flow; deployments: DeploymentSummary[] } | undefined> {
    const flow = await this.findFlow(ownerId, name);
    if (!flow) return undefined;
    const rows = await this.db
      .select(summaryColumns)
      .from(deployments)
      .where(eq(deployments.flowId, flow.id))
      .orderBy(desc(deployments.version));
    return { flow, deployments: rows.map(withSource) };
  }

  /** One deployment of an owner's flow by version, with its build log (no bundle), or undefined. */
  async findDeploymentByVersion(
    ownerId: string,
    name: string,
    version: number,
  ): Promise<{ flow: Flow; deployment: DeploymentRecord } | undefined> {
    const flow = await this.findFlow(ownerId, name);
    if (!flow) return undefined;
    const [deployment] = await this.db
      .select(recordColumns)
      .from(deployments)
      .where(and(eq(deployments.flowId, flow.id), eq(deployments.version, version)));
    return deployment ? { flow, deployment: withSource(deployment) } : undefined;
  }

  /** The flow's newest deployment that has a bundle (the one a redeploy without a git source reuses), or undefined. */
  async latestBundle(flowId: string): Promise<(Omit<Deployment, 'source'> & { source: StoredSource }) | undefined> {
    const [row] = await this.db
      .select()
      .from(deployments)
      .where(and(eq(deployments.flowId, flowId), isNotNull(deployments.bundle)))
      .orderBy(desc(deployments.version))
      .limit(1);
    return row ? withSource(row) : undefined;
  }

  /** An owner's flows, newest first, with their live deployment. */
  async list(ownerId: string): Promise<FlowDetail[]> {
    const rows = await this.db.select().from(flows).where(eq(flows.ownerId, ownerId)).orderBy(desc(flows.createdAt));
    return Promise.all(rows.map((flow) => this.detail(flow)));
  }

  /** One of an owner's flows by name, or undefined (also when another owner has a flow of that name). */
  async findByName(ownerId: string, name: string): Promise<FlowDetail | undefined> {
    const flow = await this.findFlow(ownerId, name);
    return flow ? this.detail(flow) : undefined;
  }

  private async findFlow(ownerId: string, name: string): Promise<Flow | undefined> {
    const [flow] = await this.db
      .select()
      .from(flows)
      .where(and(eq(flows.ownerId, ownerId), eq(flows.name, name)));
    return flow;
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
   * An owner's live, unpaused flows subscribed to an event name (or any of several) on a target (or on
   * any of several names of it): events reach the flows of whoever connected the account they came
   * through, no one else's.
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
          isNull(flows.pausedAt),
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

  /**
   * The distinct (target, event, options) of `provider` that an owner's live deployments subscribe to;
   * with `filter.unpaused`, of flows that are not paused only (what schedules keep ticking for).
   */
  async liveSubscriptions(
    provider: string,
    ownerId: string,
    filter: { unpaused?: boolean } = {},
  ): Promise<{ target: string; event: string; options: Record<string, unknown> | null }[]> {
    return this.db
      .selectDistinct({ target: subscriptions.target, event: subscriptions.event, options: subscriptions.options })
      .from(subscriptions)
      .innerJoin(flows, eq(flows.activeDeploymentId, subscriptions.deploymentId))
      .where(and(eq(subscriptions.provider, provider), eq(flows.ownerId, ownerId), filter.unpaused ? isNull(flows.pausedAt) : undefined));
  }

  /**
   * Marks every subscription of an owner's flows to `provider`/`target` (and `event`, when given)
   * registered or not. @returns how many changed.
   */
  async setRegistered(ownerId: string, provider: string, target: string, registered: boolean, event?: string): Promise<number> {
    const owned = this.db.select({ id: flows.id }).from(flows).where(eq(flows.ownerId, ownerId));
    const rows = await this.db
      .update(subscriptions)
      .set({ registered })
      .where(
        and(
          inArray(subscriptions.flowId, owned),
          eq(subscriptions.provider, provider),
          eq(subscriptions.target, target),
          event === undefined ? undefined : eq(subscriptions.event, event),
          ne(subscriptions.registered, registered),
        ),
      )
      .returning({ id: subscriptions.id });
    return rows.length;
  }

  private async detail(flow: Flow): Promise<FlowDetail> {
    const [latest] = await this.db
      .select(summaryColumns)
      .from(deployments)
      .where(eq(deployments.flowId, flow.id))
      .orderBy(desc(deployments.version))
      .limit(1);
    const summary = latest ? withSource(latest) : undefined;
    const variables = summary?.source.variables ?? (await this.latestVariables(flow.id));
    const base = { flow, latest: summary, variables };
    if (!flow.activeDeploymentId) return { ...base, subscriptions: [] };
    const [deployment] = await this.db.select(recordColumns).from(deployments).where(eq(deployments.id, flow.activeDeploymentId));
    const subs = await this.db
      .select({
        provider: subscriptions.provider,
        target: subscriptions.target,
        event: subscriptions.event,
        options: subscriptions.options,
        registered: subscriptions.registered,
      })
      .from(subscriptions)
      .where(eq(subscriptions.deploymentId, flow.activeDeploymentId));
    // Most sources declare no options: their subscriptions leave the field out rather than show null.
    const declared = subs.map(({ options, ...s }) => (options ? { ...s, options } : s));
    return { ...base, deployment: withSource(deployment), subscriptions: declared };
  }

  /** The variables of the newest deployment whose source recorded some (a CLI bundle records none). */
  private async latestVariables(flowId: string): Promise<FlowVariables> {
    const [row] = await this.db
      .select({ source: deployments.source })
      .from(deployments)
      .where(and(eq(deployments.flowId, flowId), sql`${deployments.source} -> 'variables' is not null`))
      .orderBy(desc(deployments.version))
      .limit(1);
    return row ? (fromRow(row.source).variables ?? {}) : {};
  }
}
