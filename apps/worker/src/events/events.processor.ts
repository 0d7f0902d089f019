import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { EVENTS_QUEUE, type RouteEventJob } from '@openflows/common';
import { EventsService } from './events.service';

/**
 * The events queue: one job at a time across all workers (global concurrency 1, set at start), so
 * events are routed in arrival order. Routing is a few queries, far cheaper than a run.
 */
@Processor(EVENTS_QUEUE, { concurrency: 1 })
export class EventsProcessor extends WorkerHost {
  private readonly logger = new Logger(EventsProcessor.name);

  constructor(private readonly events: EventsService) {
    super();
  }

  process(job: Job<RouteEventJob>): Promise<{ runs: number }> {
    return this.events.route(job.data.eventId);
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`events worker: ${error.message}`);
  }
}
