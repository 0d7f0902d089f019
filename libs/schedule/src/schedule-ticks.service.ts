import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { EVENTS_JOB_OPTIONS, EVENTS_QUEUE, ROUTE_EVENT_JOB, type EventEnvelope, type RouteEventJob } from '@openflows/common';
import { EventsRepository } from '@openflows/db';
import type { ScheduleTick } from '@openflows/sdk';
import type { ScheduleTickJob } from './schedule-queue';
import { SCHEDULE_PROVIDER, TICK_EVENT, tickDeliveryId, tickMillis } from './schedules';

/**
 * Turns a scheduler's job into a `tick` event through the normal pipeline: recorded once (the delivery
 * id is the scheduler and the tick's due time, so a duplicate tick is dropped), then routed by the
 * events queue like any webhook's event. Ticks of one schedule are one conversation: they run in order.
 */
@Injectable()
export class ScheduleTicks {
  constructor(
    private readonly events: EventsRepository,
    @InjectQueue(EVENTS_QUEUE) private readonly queue: Queue<RouteEventJob>,
  ) {}

  /** Records and queues the tick of `job`; a tick recorded and queued before is left as it is. @throws on a database or Redis failure (the job is retried). */
  async fire(job: Job<ScheduleTickJob>): Promise<{ eventId: string; duplicate: boolean }> {
    // BullMQ names a scheduler's jobs `repeat:<scheduler id>:<ms>` and keeps the scheduler as repeatJobKey.
    const scheduler = job.repeatJobKey ?? job.id?.split(':')[1];
    if (!scheduler) throw new UnrecoverableError(`job ${job.id} on the schedules queue was not made by a job scheduler`);
    const dueMs = tickMillis({ id: job.id, timestamp: job.timestamp, delay: job.delay });
    const { target, options } = job.data;
    const payload: ScheduleTick = { scheduledAt: new Date(dueMs).toISOString(), firedAt: new Date().toISOString(), ...options };
    const envelope: EventEnvelope = {
      provider: SCHEDULE_PROVIDER,
      deliveryId: tickDeliveryId(scheduler, dueMs),
      name: TICK_EVENT,
      target,
      conversationKey: scheduler,
      payload,
    };
    const event = await this.events.record(envelope);
    if (event.status !== 'received') return { eventId: event.id, duplicate: true };
    await this.queue.add(ROUTE_EVENT_JOB, { eventId: event.id }, { ...EVENTS_JOB_OPTIONS, jobId: event.id });
    await this.events.setStatus(event.id, 'queued');
    return { eventId: event.id, duplicate: false };
  }
}
