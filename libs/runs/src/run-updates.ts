import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Observable, Subject } from 'rxjs';
import { APP_CONFIG, REDIS, errorMessage, redisKey, type AppConfig } from '@openflows/common';
import { RunsRepository, type RunLogLine, type RunStatus } from '@openflows/db';
import { toRunView, type RunLogView, type RunView } from './run-view';

/**
 * A live change, as published on Redis pub/sub by whichever process changed it (the worker at routing
 * and around every attempt, the api at replay) and fanned out by the api to server-sent event clients.
 * `ownerId` is the run's flow's owner, so that subscribers hand a change only to that owner's streams.
 * On the wire it is JSON: the `Date`s of `run` and `line` arrive as ISO 8601 strings.
 * - `run`: a run was created (`queued`) or changed status (`running`, `retrying`, `succeeded`, `failed`).
 * - `log`: a run wrote a log line (published as written, before the attempt's lines are stored).
 */
export type RunUpdate =
  | { type: 'run'; ownerId: string; runId: string; flowId: string; status: RunStatus; run: RunView }
  | { type: 'log'; ownerId: string; runId: string; flowId: string; line: RunLogView };

/**
 * The pub/sub channel of run updates: `<REDIS_PREFIX>:run-updates`, one for all owners (the message
 * names the owner). Under the configured prefix, so platforms sharing a Redis do not hear each other.
 */
export function runUpdatesChannel(config: AppConfig): string {
  return redisKey(config, 'run-updates');
}

/**
 * The key that says some api has live-update clients: `<REDIS_PREFIX>:run-watchers`, set for
 * {@link WATCHERS_TTL_MS} and refreshed while they are connected. Without it run changes are not
 * published, which spares the worker a database read per status change when no one is watching.
 */
export function runWatchersKey(config: AppConfig): string {
  return redisKey(config, 'run-watchers');
}

/** How long the watchers key lives without a refresh (ms), and how often a watching api refreshes it. */
const WATCHERS_TTL_MS = 30_000;
const WATCHERS_REFRESH_MS = 10_000;

/**
 * Publishes {@link RunUpdate}s on the process's shared Redis connection, while some api has live-update
 * clients (see {@link runWatchersKey}). Live updates are best effort: a failed publish is logged and
 * never fails the run or the request that caused it (the run's state is in the database either way).
 */
@Injectable()
export class RunUpdatesPublisher {
  private readonly logger = new Logger(RunUpdatesPublisher.name);
  private readonly channel: string;
  private readonly watchersKey: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly runs: RunsRepository,
  ) {
    this.channel = runUpdatesChannel(config);
    this.watchersKey = runWatchersKey(config);
  }

  /**
   * Publishes the current state of each run (one `run` update each, in the order given); unknown ids
   * are skipped. Nothing is read or sent while no api has live-update clients.
   */
  async publishRuns(ids: string[]): Promise<void> {
    try {
      if (!(await this.redis.exists(this.watchersKey))) return;
      const records = await this.runs.findRecords(ids);
      const byId = new Map(records.map((r) => [r.id, r]));
      for (const id of ids) {
        const record = byId.get(id);
        if (!record) continue;
        await this.publish({
          type: 'run',
          ownerId: record.ownerId,
          runId: record.id,
          flowId: record.flowId,
          status: record.status,
          run: toRunView(record),
        });
      }
    } catch (error) {
      this.logger.warn(`run updates of ${ids.join(', ')} not published: ${errorMessage(error)}`);
    }
  }

  /** Publishes one log line of a run's attempt (1-based); fire and forget. */
  publishLog(run: { ownerId: string; runId: string; flowId: string }, attempt: number, line: RunLogLine): void {
    const { level, message, fields, at } = line;
    this.publish({ type: 'log', ...run, line: { attempt, level, message, fields: fields ?? null, at } }).catch((error: unknown) =>
      this.logger.warn(`log line of run ${run.runId} not published: ${errorMessage(error)}`),
    );
  }

  private async publish(update: RunUpdate): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(update));
  }
}

/** How long start-up waits for the subscription before going on without it (ms); it completes once Redis answers. */
const SUBSCRIBE_WAIT_MS = 2000;

/**
 * Listens to the run updates channel on a dedicated ioredis connection (a subscribed connection cannot
 * send other commands) and offers the updates as an rxjs stream; ioredis reconnects and subscribes
 * again by itself. One per process that serves live updates (the api).
 */
@Injectable()
export class RunUpdatesSubscriber implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RunUpdatesSubscriber.name);
  private readonly subject = new Subject<RunUpdate>();
  private connection?: Redis;
  private watchers = 0;
  private refresh?: NodeJS.Timeout;

  /** Every update of every owner, as parsed from the channel; filter by `ownerId` before handing one out. */
  readonly updates: Observable<RunUpdate> = this.subject.asObservable();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /**
   * Registers a live-update client: sets the watchers key (see {@link runWatchersKey}) before it
   * resolves, so every change after that is published, and keeps it fresh while any client of this
   * process is connected. @returns the release, to call when the client goes (idempotent).
   */
  async watch(): Promise<() => void> {
    this.watchers += 1;
    this.refresh ??= setInterval(() => void this.markWatched(), WATCHERS_REFRESH_MS);
    await this.markWatched();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.watchers -= 1;
      if (this.watchers > 0) return;
      clearInterval(this.refresh);
      this.refresh = undefined;
    };
  }

  private async markWatched(): Promise<void> {
    await this.redis
      .set(runWatchersKey(this.config), '1', 'PX', WATCHERS_TTL_MS)
      .catch((error: unknown) => this.logger.warn(`run watchers not marked: ${errorMessage(error)}`));
  }

  async onModuleInit(): Promise<void> {
    const channel = runUpdatesChannel(this.config);
    const connection = new Redis(this.config.redis.url, { maxRetriesPerRequest: null });
    this.connection = connection;
    connection.on('error', (error: Error) => this.logger.warn(`run updates subscription: ${error.message}`));
    connection.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      try {
        this.subject.next(JSON.parse(message) as RunUpdate);
      } catch (error) {
        this.logger.warn(`unreadable run update: ${errorMessage(error)}`);
      }
    });
    // Start-up must not hang on an unreachable Redis (the api answers 503 then); the subscription
    // completes by itself once Redis is there.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.subscribe(channel).catch((error: unknown) => this.logger.warn(`run updates: ${errorMessage(error)}`)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.refresh);
    this.subject.complete();
    const connection = this.connection;
    if (!connection) return;
    // QUIT would wait in the offline queue forever while Redis is unreachable.
    if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
    else connection.disconnect();
  }
}
