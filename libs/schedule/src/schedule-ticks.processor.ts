import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { SCHEDULES_QUEUE, type ScheduleTickJob } from './schedule-queue';
import { ScheduleTicks } from './schedule-ticks.service';

/** The schedules queue, in worker processes: each tick's job becomes an event (ScheduleTicks). */
@Processor(SCHEDULES_QUEUE, { concurrency: 4 })
export class ScheduleTicksProcessor extends WorkerHost {
  private readonly logger = new Logger(ScheduleTicksProcessor.name);

  constructor(private readonly ticks: ScheduleTicks) {
    super();
  }

  process(job: Job<ScheduleTickJob>): Promise<{ eventId: string; duplicate: boolean }> {
    return this.ticks.fire(job);
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`schedules worker: ${error.message}`);
  }
}
