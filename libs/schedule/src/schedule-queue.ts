import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, bullConnection, type AppConfig } from '@openflows/common';

/** The queue BullMQ's job schedulers put a job on at each tick; the worker turns each into a `tick` event. */
export const SCHEDULES_QUEUE = 'schedules';
/** The name of a tick's job. */
export const TICK_JOB = 'tick';

/** Data of a {@link TICK_JOB} job (the scheduler's template): whose schedule it is, and which. */
export interface ScheduleTickJob {
  ownerId: string;
  /** The subscriptions' target (`every 60000`, `cron 0 9 * * 1-5 europe/paris`). */
  target: string;
  /** The subscription's options, as stored. */
  options: Record<string, unknown>;
}

/**
 * Job options of a tick: retried a few times (recording the event may meet a database hiccup; the
 * tick's delivery id keeps a retry from running the flow twice), kept a while for Bull Board.
 */
export const TICK_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * The schedules queue as registration (deploy, undeploy, pause: the api) uses it, with a producer
 * connection: commands fail at once while Redis is away instead of waiting. Made on first use, closed
 * at shutdown.
 */
@Injectable()
export class ScheduleQueue implements OnApplicationShutdown {
  private queue?: Queue<ScheduleTickJob>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get(): Queue<ScheduleTickJob> {
    this.queue ??= new Queue<ScheduleTickJob>(SCHEDULES_QUEUE, {
      connection: bullConnection(this.config.redis.url, 'producer'),
      prefix: this.config.redis.prefix,
    });
    return this.queue;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.close();
  }
}
