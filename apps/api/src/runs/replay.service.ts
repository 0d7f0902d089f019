import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { CodedError, EVENTS_JOB_OPTIONS, EVENTS_QUEUE, ROUTE_EVENT_JOB, type RouteEventJob } from '@openflows/common';
import { EventsRepository, FlowsRepository, RunsRepository, type Flow, type StoredEvent } from '@openflows/db';
import { RunDispatchService, eventSummary, toRunView, type RunView } from '@openflows/runs';
import { isRunId } from './runs.service';

/** How long an event replay waits for the worker to route its copy before answering with the runs so far (ms). */
const ROUTING_WAIT_MS = 10_000;

/**
 * Replays: a copy of a run's event (own id and delivery id, `replayOf` = the original) run again by
 * that flow's live deployment, or a copy of an event routed again to every subscribed flow of its owner.
 * The original event and runs stay as they were.
 */
@Injectable()
export class ReplayService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly events: EventsRepository,
    private readonly flows: FlowsRepository,
    private readonly dispatcher: RunDispatchService,
    @InjectQueue(EVENTS_QUEUE) private readonly eventsQueue: Queue<RouteEventJob>,
  ) {}

  /**
   * Replays runs of an owner's flows, each by its flow only, on the flow's live deployment. All runs are
   * checked before anything is replayed.
   * @returns the new runs (`queued`), in the order of `ids` (a repeated id is replayed once).
   * @throws CodedError `RUN_NOT_FOUND` for an unknown run or another owner's; `FLOW_NOT_DEPLOYED`,
   *   `FLOW_PAUSED` when a run's flow has no live deployment or is paused.
   */
  async replayRuns(ownerId: string, ids: string[]): Promise<RunView[]> {
    const plans: { event: StoredEvent; flow: Flow; deploymentId: string }[] = [];
    for (const id of [...new Set(ids)]) {
      const record = isRunId(id) ? await this.runs.findOwnedRecord(ownerId, id) : undefined;
      if (!record) throw new CodedError('RUN_NOT_FOUND', `no run ${id}`);
      const [flow, event] = await Promise.all([this.flows.findById(record.flowId), this.events.findById(record.eventId)]);
      if (!flow || !event) throw new CodedError('RUN_NOT_FOUND', `no run ${id}`);
      if (!flow.activeDeploymentId) {
        throw new CodedError(
          'FLOW_NOT_DEPLOYED',
          `Flow ${flow.name} has no live deployment, so its run ${id} cannot be replayed. Deploy the flow again first.`,
        );
      }
      if (flow.pausedAt) {
        throw new CodedError('FLOW_PAUSED', `Flow ${flow.name} is paused, so its run ${id} cannot be replayed. Resume the flow first.`);
      }
      plans.push({ event, flow, deploymentId: flow.activeDeploymentId });
    }
    const replayed: RunView[] = [];
    for (const { event, flow, deploymentId } of plans) {
      const copy = await this.events.recordReplay(event);
      const [run] = await this.dispatcher.dispatch(copy, [{ flowId: flow.id, deploymentId }]);
      await this.events.setStatus(copy.id, 'routed');
      // As created (`queued`): the worker may have started it by now, which the streams tell.
      replayed.push(toRunView({ ...run, flowName: flow.name, ownerId: flow.ownerId, event: eventSummary(copy) }));
    }
    return replayed;
  }

  /**
   * Replays an event that reached one of the owner's flows: the copy goes on the events queue as the
   * ingress does, and the worker routes it to every flow subscribed to it then (its owner's, as routing
   * decides by the connected account). Waits up to 10 s for the routing.
   * @returns the copy's runs of the owner's flows known when routing finished or the wait ran out.
   * @throws CodedError `EVENT_NOT_FOUND` for an unknown event or one that ran none of the owner's flows.
   */
  async replayEvent(ownerId: string, id: string): Promise<RunView[]> {
    const original = isRunId(id) ? await this.events.findOwned(ownerId, id) : undefined;
    if (!original) throw new CodedError('EVENT_NOT_FOUND', `no event ${id}`);
    const copy = await this.events.recordReplay(original);
    // Marked before the job exists: the worker may route it (`routed`) before `add` returns.
    await this.events.setStatus(copy.id, 'queued');
    await this.eventsQueue.add(ROUTE_EVENT_JOB, { eventId: copy.id }, { ...EVENTS_JOB_OPTIONS, jobId: copy.id });
    const deadline = Date.now() + ROUTING_WAIT_MS;
    while ((await this.events.findById(copy.id))?.status !== 'routed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return (await this.runs.listOwnedForEvent(ownerId, copy.id)).map(toRunView);
  }
}
