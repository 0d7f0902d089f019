import { Injectable } from '@nestjs/common';
import { Observable, filter, finalize, map } from 'rxjs';
import { CodedError } from '@openflows/common';
import { RunsRepository } from '@openflows/db';
import { RunUpdatesSubscriber, isFinished, toRunView, type RunUpdate } from '@openflows/runs';
import { isRunId, RunsService } from './runs.service';
import type { SseMessage } from './sse';

/**
 * Live run updates for one owner as server-sent event messages (see the contract, "Runs"):
 * `run` (a RunView) and, on a single run's stream, `log` (one log line) and `end`. The updates come
 * from Redis pub/sub (`RunUpdatesSubscriber`), published by whichever process changed the run.
 */
@Injectable()
export class RunStreamsService {
  constructor(
    private readonly subscriber: RunUpdatesSubscriber,
    private readonly runs: RunsRepository,
    private readonly runsService: RunsService,
  ) {}

  /**
   * `run` each time one of the owner's runs (of flow `flowName`, when given) is created or changes status.
   * @throws CodedError `FLOW_NOT_FOUND` for an unknown flow name.
   */
  async ownerStream(ownerId: string, flowName?: string): Promise<Observable<SseMessage>> {
    const flowId = flowName === undefined ? undefined : await this.runsService.flowId(ownerId, flowName);
    const release = await this.subscriber.watch();
    return this.subscriber.updates.pipe(
      filter((u): u is Extract<RunUpdate, { type: 'run' }> => u.type === 'run' && u.ownerId === ownerId),
      filter((u) => flowId === undefined || u.flowId === flowId),
      map((u): SseMessage => ({ event: 'run', data: u.run })),
      finalize(release),
    );
  }

  /**
   * One run: `run` with its current state first, then `run` on each status change and `log` for each
   * line as written, and `end` (`{ id, status }`) once it is `succeeded` or `failed`, after which the
   * stream completes (at once for a finished run). Lines written before the client connected are not
   * sent again: they are in `GET /api/runs/:id` once the attempt ends.
   * @throws CodedError `RUN_NOT_FOUND` for an unknown run or another owner's.
   */
  async runStream(ownerId: string, id: string): Promise<Observable<SseMessage>> {
    if (!isRunId(id) || !(await this.runs.findOwnedRecord(ownerId, id))) throw new CodedError('RUN_NOT_FOUND', `no run ${id}`);
    return new Observable<SseMessage>((subscriber) => {
      const end = (status: string) => {
        subscriber.next({ event: 'end', data: { id, status } });
        subscriber.complete();
      };
      const forward = (update: RunUpdate) => {
        if (subscriber.closed) return;
        if (update.type === 'log') return subscriber.next({ event: 'log', data: update.line });
        subscriber.next({ event: 'run', data: update.run });
        if (isFinished(update.status)) end(update.status);
      };
      // Subscribed before the current state is read, so no change falls in between; changes that
      // arrive meanwhile follow the current state.
      let pending: RunUpdate[] | undefined = [];
      const subscription = this.subscriber.updates
        .pipe(filter((u) => u.runId === id && u.ownerId === ownerId))
        .subscribe((update) => (pending ? pending.push(update) : forward(update)));
      // Changes are published once the watchers key is set; what changed before is in the state read after.
      const watching = this.subscriber.watch();
      watching
        .then(() => this.runs.findOwnedRecord(ownerId, id))
        .then((record) => {
          if (subscriber.closed || !record) return subscriber.complete();
          subscriber.next({ event: 'run', data: toRunView(record) });
          if (isFinished(record.status)) return end(record.status);
          const queued = pending ?? [];
          pending = undefined;
          queued.forEach(forward);
        })
        .catch((error: unknown) => subscriber.error(error));
      return () => {
        subscription.unsubscribe();
        void watching.then((release) => release());
      };
    });
  }
}
