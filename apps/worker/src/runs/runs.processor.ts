import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type Type } from '@nestjs/common';
import type { Job } from 'bullmq';
import { runsQueueName, type ExecuteRunJob } from '@openflows/common';
import { RunsService } from './runs.service';

/**
 * A processor class for one runs partition. Each partition runs one job at a time across all workers
 * (global concurrency 1, set at start), which keeps a conversation's runs in arrival order.
 * @param lockMs how long a job's lock lives without renewal: a crashed worker's run is picked up again
 *   about this long after the crash (BullMQ stalled-job recovery).
 */
export function runsProcessorFor(partition: number, lockMs: number): Type<WorkerHost> {
  @Processor(runsQueueName(partition), { concurrency: 1, lockDuration: lockMs, stalledInterval: lockMs })
  class RunsPartitionProcessor extends WorkerHost {
    private readonly logger = new Logger(`RunsProcessor-${partition}`);

    constructor(@Inject(RunsService) private readonly runs: RunsService) {
      super();
    }

    process(job: Job<ExecuteRunJob>, token?: string): Promise<void> {
      return this.runs.execute(job, token);
    }

    @OnWorkerEvent('error')
    onError(error: Error): void {
      this.logger.warn(`runs worker: ${error.message}`);
    }
  }
  return RunsPartitionProcessor;
}
