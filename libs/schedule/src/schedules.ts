import { createHash } from 'node:crypto';
import { defaultRepeatStrategy, type RepeatOptions } from 'bullmq';
import { CodedError } from '@openflows/common';
import { MIN_SCHEDULE_INTERVAL_MS } from '@openflows/sdk';

/** The provider id of schedules: `EventSource.provider` of `schedule.cron` and `schedule.every`. */
export const SCHEDULE_PROVIDER = 'schedule';
/** The event name of a tick. */
export const TICK_EVENT = 'tick';

/** A schedule as BullMQ's job schedulers take it, and as the flow's view shows it. */
export type ScheduleSpec =
  | { kind: 'cron'; expression: string; timezone: string; repeat: Pick<RepeatOptions, 'pattern' | 'tz'> }
  | { kind: 'every'; every: number; repeat: Pick<RepeatOptions, 'every'> };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `timezone` is an IANA time zone this Node knows. */
function knownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The schedule a subscription's `options` describe (as `schedule.cron` / `schedule.every` store them:
 * `{ expression, timezone }` or `{ every }`), checked the way BullMQ will read it (cron-parser, through
 * BullMQ's own repeat strategy).
 * @throws CodedError FLOW_INVALID naming the schedule, for anything BullMQ could not schedule.
 */
export function scheduleSpec(target: string, options: unknown): ScheduleSpec {
  const refuse = (why: string) => new CodedError('FLOW_INVALID', `schedule "${target}": ${why}`);
  if (!isObject(options)) throw refuse('declare it with schedule.cron(expression, { timezone }) or schedule.every(ms)');
  if (typeof options.every === 'number') {
    if (!Number.isInteger(options.every) || options.every < MIN_SCHEDULE_INTERVAL_MS)
      throw refuse(`every needs at least ${MIN_SCHEDULE_INTERVAL_MS} ms`);
    return { kind: 'every', every: options.every, repeat: { every: options.every } };
  }
  const { expression, timezone } = options;
  if (typeof expression !== 'string' || typeof timezone !== 'string') throw refuse('a cron schedule needs an expression and a time zone');
  if (!knownTimezone(timezone)) throw refuse(`unknown time zone "${timezone}"`);
  const repeat = { pattern: expression, tz: timezone };
  try {
    defaultRepeatStrategy(Date.now(), repeat);
  } catch (error) {
    throw refuse(`invalid cron expression: ${(error as Error).message}`);
  }
  return { kind: 'cron', expression, timezone, repeat };
}

/**
 * The BullMQ job scheduler of an owner's schedule `target`: `<owner id>.<first 16 hex of SHA-1(target)>`
 * (no `:`, which BullMQ keeps for its own keys). One per (owner, schedule): two flows of an owner on the
 * same schedule share its ticks, each tick running both.
 */
export function schedulerId(ownerId: string, target: string): string {
  return `${ownerId}.${createHash('sha1').update(target).digest('hex').slice(0, 16)}`;
}

/** Whether `id` is one of `ownerId`'s schedulers. */
export const ownsScheduler = (ownerId: string, id: string) => id.startsWith(`${ownerId}.`);

/** A tick's delivery id: `<scheduler id>@<tick time, ms>`, the same for a duplicate of the tick (so it is dropped). */
export const tickDeliveryId = (scheduler: string, tickMs: number) => `${scheduler}@${tickMs}`;

/** The owner a tick's delivery id belongs to, or undefined for one that is not a tick's. */
export function ownerOfTick(deliveryId: string): string | undefined {
  const dot = deliveryId.indexOf('.');
  return dot > 0 && deliveryId.includes('@', dot) ? deliveryId.slice(0, dot) : undefined;
}

/**
 * When a scheduler's job was due (ms): from its id, `repeat:<scheduler id>:<ms>` as BullMQ makes them,
 * else its creation time plus its delay.
 */
export function tickMillis(job: { id?: string; timestamp: number; delay?: number }): number {
  const fromId = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
  return Number.isSafeInteger(fromId) && fromId > 0 ? fromId : job.timestamp + (job.delay ?? 0);
}

/** How the flow's view shows a schedule: its expression (or `every <ms> ms`) and time zone. */
export function describedSchedule(spec: ScheduleSpec): { expression: string; timezone: string } {
  return spec.kind === 'cron'
    ? { expression: spec.expression, timezone: spec.timezone }
    : { expression: `every ${spec.every} ms`, timezone: 'UTC' };
}
