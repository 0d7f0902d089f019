import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import {
  APP_CONFIG,
  EXECUTE_RUN_JOB,
  runJobId,
  runJobOptions,
  runsPartitionFor,
  runsQueueName,
  type AppConfig,
  type ExecuteRunJob,
} from '@openflows/common';
import { RunsRepository, type MatchedFlow, type Run, type StoredEvent } from '@openflows/db';
import { RunUpdatesPublisher } from './run-updates';

/**
 * Turns an event and the flows it is for into queued runs: one run row per (event, flow), announced as
 * a `run` update, and one job on the runs partition of its (flow, conversation), with the deterministic
 * job id `<eventId>.<flowId>`. Routing (worker) and replays (api) both go through here. The process must
 * have the runs partition queues registered (`runs-0` … `runs-N-1`, see `RUN_PARTITIONS`).
 */
@Injectable()
export class RunDispatchService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runs: RunsRepository,
    private readonly updates: RunUpdatesPublisher,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Creates and queues the runs of `event` for `matches`; safe to repeat (existing runs are returned and
   * only those still `queued` are queued again, which BullMQ ignores for a job id it holds).
   * @returns every run of the event for those flows, new or existing.
   * @throws the queue's error when Redis cannot take a job (routing is retried; the api answers 500).
   */
  async dispatch(event: StoredEvent, matches: MatchedFlow[]): Promise<Run[]> {
    const runs = await this.runs.createQueued(event.id, matches);
    const queued = runs.filter((r) => r.status === 'queued');
    // Announced before the jobs exist, so `queued` always reaches listeners before `running`.
    await this.updates.publishRuns(queued.map((r) => r.id));
    for (const run of queued) {
      const partition = runsPartitionFor(run.flowId, event.conversationKey, this.config.runs.partitions);
      await this.partition(partition).add(
        EXECUTE_RUN_JOB,
        { runId: run.id },
        { ...runJobOptions(this.config.runs), jobId: runJobId(event.id, run.flowId) },
      );
    }
    return runs;
  }

  private partition(index: number): Queue<ExecuteRunJob> {
    return this.moduleRef.get<Queue<ExecuteRunJob>>(getQueueToken(runsQueueName(index)), { strict: false });
  }
}
