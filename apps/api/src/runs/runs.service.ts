import { Injectable } from '@nestjs/common';
import { CodedError } from '@openflows/common';
import { EventsRepository, FlowsRepository, RunsRepository, type RunStatus } from '@openflows/db';
import { toRunView } from '@openflows/runs';
import type { RunDetailView, RunView } from './runs.dto';

/** Filters of a run listing as the API takes them (see `ListRunsQuery`). */
export interface RunListing {
  status?: RunStatus;
  /** A flow name. */
  flow?: string;
  /** Clamped to 1…200; default 50. */
  limit?: number;
  /** ISO 8601. */
  before?: string;
}

/** A well-formed run id (runs have uuid ids; anything else is no run). */
export const isRunId = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Reading run history, always within one owner's flows. */
@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly flows: FlowsRepository,
    private readonly events: EventsRepository,
  ) {}

  /**
   * An owner's runs, newest first, narrowed by status, flow name and `before`.
   * @throws CodedError `FLOW_NOT_FOUND` for an unknown flow name (or another owner's).
   */
  async list(ownerId: string, listing: RunListing): Promise<RunView[]> {
    const flowId = listing.flow === undefined ? undefined : await this.flowId(ownerId, listing.flow);
    const limit = Math.min(Math.max(listing.limit ?? 50, 1), 200);
    const records = await this.runs.listOwned(ownerId, {
      status: listing.status,
      flowId,
      limit,
      before: listing.before ? new Date(listing.before) : undefined,
    });
    return records.map(toRunView);
  }

  /** @throws CodedError `RUN_NOT_FOUND` for an unknown run or a run of another owner's flow. */
  async get(ownerId: string, id: string): Promise<RunDetailView> {
    const record = isRunId(id) ? await this.runs.findOwnedRecord(ownerId, id) : undefined;
    if (!record) throw new CodedError('RUN_NOT_FOUND', `no run ${id}`);
    const event = await this.events.findById(record.eventId);
    const logs = (await this.runs.logs(id)).map(({ attempt, level, message, fields, at }) => ({ attempt, level, message, fields, at }));
    const view = toRunView(record);
    return { ...view, event: { ...view.event, payload: event?.payload ?? null }, logs };
  }

  /** The id of an owner's flow. @throws CodedError `FLOW_NOT_FOUND` */
  async flowId(ownerId: string, name: string): Promise<string> {
    const detail = await this.flows.findByName(ownerId, name);
    if (!detail) throw new CodedError('FLOW_NOT_FOUND', `no flow named ${name}`);
    return detail.flow.id;
  }
}
