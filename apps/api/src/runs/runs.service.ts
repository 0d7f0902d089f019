import { Injectable, NotFoundException } from '@nestjs/common';
import { EventsRepository, FlowsRepository, RunsRepository } from '@openflows/db';
import type { RunDetailView, RunView } from './runs.dto';

/** Reading run history. */
@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly flows: FlowsRepository,
    private readonly events: EventsRepository,
  ) {}

  /** An owner's flow's runs, newest first. @throws NotFoundException for an unknown flow (or another owner's). */
  async listForFlow(ownerId: string, flowName: string, limit: number): Promise<RunView[]> {
    const detail = await this.flows.findByName(ownerId, flowName);
    if (!detail) throw new NotFoundException(`no flow named ${flowName}`);
    return this.runs.listForFlow(detail.flow.id, limit);
  }

  /** @throws NotFoundException for an unknown run or a run of another owner's flow. */
  async get(ownerId: string, id: string): Promise<RunDetailView> {
    const run = /^[0-9a-f-]{36}$/i.test(id) ? await this.runs.findOwned(ownerId, id) : undefined;
    if (!run) throw new NotFoundException(`no run ${id}`);
    const event = await this.events.findById(run.eventId);
    if (!event) throw new NotFoundException(`run ${id} has no event`);
    const { payload: _payload, conversationKey: _key, status: _status, ...summary } = event;
    const logs = (await this.runs.logs(id)).map(({ attempt, level, message, fields, at }) => ({ attempt, level, message, fields, at }));
    return { ...run, event: summary, logs };
  }
}
