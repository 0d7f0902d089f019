import { Injectable, Logger } from '@nestjs/common';
import { errorMessage, type FlowRef, type SubscriptionDeclaration } from '@openflows/common';
import { FlowsRepository } from '@openflows/db';
import { ScheduleQueue, TICK_JOB, TICK_JOB_OPTIONS } from './schedule-queue';
import { SCHEDULE_PROVIDER, describedSchedule, ownsScheduler, scheduleSpec, schedulerId } from './schedules';

/** A schedule as `GET /api/flows/:name` lists it. */
export interface ScheduleView {
  expression: string;
  timezone: string;
  /** ISO 8601; absent while no scheduler runs for it (the flow is paused). */
  nextRunAt?: string;
}

/**
 * Keeps BullMQ's job schedulers in line with an owner's live, unpaused schedule subscriptions: one
 * scheduler per (owner, schedule) (`upsertJobScheduler`), removed once no such flow listens to it.
 * BullMQ adds one job per tick, whatever the number of workers.
 */
@Injectable()
export class ScheduleRegistry {
  private readonly logger = new Logger(ScheduleRegistry.name);

  constructor(
    private readonly queue: ScheduleQueue,
    private readonly flows: FlowsRepository,
  ) {}

  /**
   * Creates the schedulers the owner's live, unpaused flows need and removes the others. A scheduler
   * that exists is left alone (its id names its schedule), so an `every` schedule keeps its rhythm
   * across other deploys. Stored options BullMQ cannot read are logged and skipped.
   */
  async sync(ownerId: string): Promise<void> {
    const queue = this.queue.get();
    const wanted = new Map<string, { target: string; options: Record<string, unknown> }>();
    for (const s of await this.flows.liveSubscriptions(SCHEDULE_PROVIDER, ownerId, { unpaused: true })) {
      wanted.set(schedulerId(ownerId, s.target), { target: s.target, options: s.options ?? {} });
    }
    for (const scheduler of await this.schedulersOf(ownerId)) {
      if (!wanted.has(scheduler)) await queue.removeJobScheduler(scheduler);
    }
    for (const [id, { target, options }] of wanted) {
      if (await queue.getJobScheduler(id)) continue;
      try {
        const { repeat } = scheduleSpec(target, options);
        await queue.upsertJobScheduler(id, repeat, { name: TICK_JOB, data: { ownerId, target, options }, opts: TICK_JOB_OPTIONS });
      } catch (error) {
        this.logger.warn(`schedule ${target} of owner ${ownerId} not registered: ${errorMessage(error)}`);
      }
    }
  }

  /** The flow's schedules with their next tick. */
  async describe(flow: FlowRef, subscriptions: SubscriptionDeclaration[]): Promise<ScheduleView[]> {
    const queue = this.queue.get();
    const targets = [...new Map(subscriptions.map((s) => [s.target, s.options])).entries()];
    return Promise.all(
      targets.map(async ([target, options]) => {
        const view: ScheduleView = describedSchedule(scheduleSpec(target, options));
        const next = (await queue.getJobScheduler(schedulerId(flow.ownerId, target)))?.next;
        if (next !== undefined && !flow.paused) view.nextRunAt = new Date(next).toISOString();
        return view;
      }),
    );
  }

  /** Ids of the owner's schedulers, in pages. */
  private async schedulersOf(ownerId: string): Promise<string[]> {
    const queue = this.queue.get();
    const ids: string[] = [];
    for (let start = 0; ; start += 500) {
      const page = await queue.getJobSchedulers(start, start + 499, true);
      ids.push(...page.map((s) => s.key).filter((key) => ownsScheduler(ownerId, key)));
      if (page.length < 500) return ids;
    }
  }
}
