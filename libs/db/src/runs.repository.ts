import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from './database';
import { events, flows, runLogs, runs, type LogLevel, type RunStatus } from './schema';
import { DATABASE } from './tokens';

export type Run = typeof runs.$inferSelect;
export type RunLog = typeof runLogs.$inferSelect;

/** A log line as a run produces it, before it is stored. */
export interface RunLogLine {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
  at: Date;
}

/** The triggering event of a run as run listings show it (no payload). */
export interface RunEventSummary {
  id: string;
  provider: string;
  name: string;
  action: string | null;
  target: string | null;
  deliveryId: string;
  receivedAt: Date;
  /** The original event when this one is a replay's copy. */
  replayOf: string | null;
}

/** A run with its flow's name and owner and its event's summary: what listings and live updates show. */
export interface RunRecord extends Run {
  flowName: string;
  ownerId: string;
  event: RunEventSummary;
}

/** Filters of {@link RunsRepository.listOwned}; `before` compares with `createdAt` (exclusive). */
export interface RunFilter {
  status?: RunStatus;
  flowId?: string;
  before?: Date;
  /** Rows at most; the caller bounds it (the API: 1 to 200). */
  limit: number;
}

/** How an attempt ended, as recorded on the run. */
export interface AttemptOutcome {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'retrying'>;
  error?: string;
  promptTokens: number;
  completionTokens: number;
  /** Estimated USD of the attempt's LLM calls; none: 0. */
  costUsd?: number;
  startedAt: Date;
  finishedAt: Date;
}

/** Runs and their log lines. The only code that queries those tables. */
@Injectable()
export class RunsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Creates queued runs for an event, one per (event, flow); rows that exist already (the event was
   * routed before) are returned as they are, so routing twice queues nothing new.
   */
  async createQueued(eventId: string, matches: { flowId: string; deploymentId: string }[]): Promise<Run[]> {
    if (matches.length === 0) return [];
    await this.db
      .insert(runs)
      .values(matches.map((m) => ({ eventId, flowId: m.flowId, deploymentId: m.deploymentId, status: 'queued' as const })))
      .onConflictDoNothing({ target: [runs.eventId, runs.flowId] });
    return this.db
      .select()
      .from(runs)
      .where(
        and(
          eq(runs.eventId, eventId),
          inArray(
            runs.flowId,
            matches.map((m) => m.flowId),
          ),
        ),
      );
  }

  async findById(id: string): Promise<Run | undefined> {
    const [row] = await this.db.select().from(runs).where(eq(runs.id, id));
    return row;
  }

  /** A run of one of an owner's flows; undefined for an unknown run or another owner's. */
  async findOwned(ownerId: string, id: string): Promise<Run | undefined> {
    const [row] = await this.db
      .select({ run: runs })
      .from(runs)
      .innerJoin(flows, eq(flows.id, runs.flowId))
      .where(and(eq(runs.id, id), eq(flows.ownerId, ownerId)));
    return row?.run;
  }

  /** Marks the start of an attempt (1-based). */
  async startAttempt(id: string, attempt: number, startedAt: Date): Promise<void> {
    await this.db.update(runs).set({ status: 'running', attempts: attempt, startedAt, error: null }).where(eq(runs.id, id));
  }

  /** Records an attempt's outcome and its log lines together. Token usage and cost add up over attempts. */
  async finishAttempt(id: string, attempt: number, outcome: AttemptOutcome, lines: RunLogLine[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .update(runs)
        .set({
          status: outcome.status,
          error: outcome.error ?? null,
          promptTokens: sql`${runs.promptTokens} + ${outcome.promptTokens}`,
          completionTokens: sql`${runs.completionTokens} + ${outcome.completionTokens}`,
          costUsd: sql`${runs.costUsd} + ${outcome.costUsd ?? 0}`,
          finishedAt: outcome.finishedAt,
          durationMs: outcome.finishedAt.getTime() - outcome.startedAt.getTime(),
        })
        .where(eq(runs.id, id));
      if (lines.length > 0) {
        await tx
          .insert(runLogs)
          .values(lines.map((l) => ({ runId: id, attempt, level: l.level, message: l.message, fields: l.fields, at: l.at })));
      }
    });
  }

  /** A flow's runs, newest first. */
  async listForFlow(flowId: string, limit: number): Promise<Run[]> {
    return this.db.select().from(runs).where(eq(runs.flowId, flowId)).orderBy(desc(runs.createdAt)).limit(limit);
  }

  /**
   * An owner's runs with flow name and event summary, newest first (`createdAt`, then id, descending),
   * narrowed by status, flow and `before`.
   */
  async listOwned(ownerId: string, filter: RunFilter): Promise<RunRecord[]> {
    const conditions: SQL[] = [eq(flows.ownerId, ownerId)];
    if (filter.status) conditions.push(eq(runs.status, filter.status));
    if (filter.flowId) conditions.push(eq(runs.flowId, filter.flowId));
    if (filter.before) conditions.push(lt(runs.createdAt, filter.before));
    return this.records(and(...conditions)!, filter.limit);
  }

  /** One run of an owner's flows as a {@link RunRecord}; undefined for an unknown run or another owner's. */
  async findOwnedRecord(ownerId: string, id: string): Promise<RunRecord | undefined> {
    const [row] = await this.records(and(eq(runs.id, id), eq(flows.ownerId, ownerId))!, 1);
    return row;
  }

  /** Runs as {@link RunRecord}s by id, whoever owns them (for the worker's live updates); unknown ids are left out. */
  async findRecords(ids: string[]): Promise<RunRecord[]> {
    if (ids.length === 0) return [];
    return this.records(inArray(runs.id, ids), ids.length);
  }

  /** The runs of one event for an owner's flows, as {@link RunRecord}s (a replayed event's runs). */
  async listOwnedForEvent(ownerId: string, eventId: string): Promise<RunRecord[]> {
    return this.records(and(eq(runs.eventId, eventId), eq(flows.ownerId, ownerId))!, 1000);
  }

  private async records(where: SQL, limit: number): Promise<RunRecord[]> {
    const rows = await this.db
      .select({
        run: runs,
        flowName: flows.name,
        ownerId: flows.ownerId,
        event: {
          id: events.id,
          provider: events.provider,
          name: events.name,
          action: events.action,
          target: events.target,
          deliveryId: events.deliveryId,
          receivedAt: events.receivedAt,
          replayOf: events.replayOf,
        },
      })
      .from(runs)
      .innerJoin(flows, eq(flows.id, runs.flowId))
      .innerJoin(events, eq(events.id, runs.eventId))
      .where(where)
      .orderBy(desc(runs.createdAt), desc(runs.id))
      .limit(limit);
    return rows.map(({ run, flowName, ownerId, event }) => ({ ...run, flowName, ownerId, event }));
  }

  /** A run's log lines in the order they were written. */
  async logs(runId: string): Promise<RunLog[]> {
    return this.db.select().from(runLogs).where(eq(runLogs.runId, runId)).orderBy(asc(runLogs.id));
  }
}
