import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import {
  APP_CONFIG,
  EXECUTE_RUN_JOB,
  bullConnection,
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
 * The runs partition queues to add run jobs to: those the app registered with BullModule (the worker,
 * whose connection waits for Redis), else queues of its own with a producer connection (the api, which
 * registers none: commands fail at once while Redis is away), closed at shutdown.
 */
@Injectable()
export class RunQueues implements OnApplicationShutdown {
  private readonly own = new Map<number, Queue<ExecuteRunJob>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The queue of partition `index` (0 … RUN_PARTITIONS-1). */
  partition(index: number): Queue<ExecuteRunJob> {
    const name = runsQueueName(index);
    try {
      return this.moduleRef.get<Queue<ExecuteRunJob>>(getQueueToken(name), { strict: false });
    } catch {
      let queue = this.own.get(index);
      if (!queue) {
        queue = new Queue<ExecuteRunJob>(name, {
          connection: bullConnection(this.config.redis.url, 'producer'),
          prefix: this.config.redis.prefix,
        });
        this.own.set(index, queue);
      }
      return queue;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.own.values()].map((queue) => queue.close()));
  }
}

/**
 * Turns an event and the flows it is for into queued runs: one run row per (event, flow), announced as
 * a `run` update, and one job on the runs partition of its (flow, conversation), with the deterministic
 * job id `<eventId>.<flowId>`. Routing (worker) and replays (api) both go through here.
 */
@Injectable()
export class RunDispatchService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runs: RunsRepository,
    private readonly updates: RunUpdatesPublisher,
    private readonly queues: RunQueues,
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
      await this.queues
        .partition(partition)
        .add(EXECUTE_RUN_JOB, { runId: run.id }, { ...runJobOptions(this.config.runs), jobId: runJobId(event.id, run.flowId) });
    }
    return runs;
  }
}
