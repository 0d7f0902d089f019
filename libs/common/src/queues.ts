import { createHash } from 'node:crypto';

/**
 * Queue names, job names and job payloads in one place ("declared handlers, checked at boot").
 * Job data carries ids only: payloads live in the database and secrets never enter Redis job data.
 */
export const EVENTS_QUEUE = 'events';
export const ROUTE_EVENT_JOB = 'route-event';
export const EXECUTE_RUN_JOB = 'execute-run';

/** Data of a {@link ROUTE_EVENT_JOB} job; the job id is the event id. */
export interface RouteEventJob {
  eventId: string;
}

/** Data of an {@link EXECUTE_RUN_JOB} job; the job id is {@link runJobId}. */
export interface ExecuteRunJob {
  runId: string;
}

/**
 * Name of one partition of the runs queue. Runs are spread over partitions by conversation, and each
 * partition runs one job at a time across all workers, so one conversation's runs keep arrival order.
 */
export function runsQueueName(partition: number): string {
  return `runs-${partition}`;
}

/** All partition names for a configured partition count. */
export function runsQueueNames(partitions: number): string[] {
  return Array.from({ length: partitions }, (_, i) => runsQueueName(i));
}

/** The partition for a (flow, conversation) pair: a stable hash, so the same pair always lands together. */
export function runsPartitionFor(flowId: string, conversationKey: string, partitions: number): number {
  const digest = createHash('sha1').update(`${flowId}\u0000${conversationKey}`).digest();
  return digest.readUInt32BE(0) % partitions;
}

/**
 * Deterministic run job id, so routing an event twice adds nothing. The design once wrote it
 * `<eventId>:<flowId>`, but BullMQ refuses `:` in custom ids (it separates its Redis keys), hence `.`.
 */
export function runJobId(eventId: string, flowId: string): string {
  return `${eventId}.${flowId}`;
}

/** Job options of the events queue: routing is cheap and retried quickly; failures are kept for a week. */
export const EVENTS_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/** Job options of a run: attempts and backoff come from configuration (RUN_ATTEMPTS, RUN_BACKOFF_MS). */
export function runJobOptions(runs: { attempts: number; backoffMs: number }) {
  return {
    attempts: runs.attempts,
    backoff: { type: 'exponential', delay: runs.backoffMs },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  } as const;
}

/**
 * ioredis options for BullMQ from `REDIS_URL` (`redis://` or `rediss://`, user, password, `/db`).
 * @param role `producer` fails commands at once while Redis is away (the ingress answers 503);
 *   `worker` waits and reconnects forever, as BullMQ requires (`maxRetriesPerRequest: null`).
 */
export function bullConnection(redisUrl: string, role: 'producer' | 'worker') {
  const url = new URL(redisUrl);
  const db = Number(url.pathname.replace('/', '') || 0);
  const base = {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
  return role === 'producer' ? { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1 } : { ...base, maxRetriesPerRequest: null };
}
