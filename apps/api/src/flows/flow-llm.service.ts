import { Injectable } from '@nestjs/common';
import { CodedError } from '@openflows/common';
import { FlowsRepository } from '@openflows/db';
import { LlmUsageStore } from '@openflows/llm';
import type { LlmUsageView } from './flow-llm.dto';

/** A flow's LLM use and monthly token budget, for its owner. Unknown flows are CodedError `FLOW_NOT_FOUND`. */
@Injectable()
export class FlowLlmService {
  constructor(
    private readonly flows: FlowsRepository,
    private readonly usage: LlmUsageStore,
  ) {}

  /** The last `days` days (UTC), this month's tokens and the budget. */
  async usageOf(ownerId: string, name: string, days: number): Promise<LlmUsageView> {
    const flowId = await this.flowId(ownerId, name);
    const [daily, monthTokens, budget] = await Promise.all([
      this.usage.days(flowId, days),
      this.usage.monthTokens(flowId),
      this.usage.budget(flowId),
    ]);
    return { days: daily, monthTokens, monthlyTokens: budget ?? null };
  }

  /** Sets the flow's monthly token budget, or removes it with `null`. */
  async setBudget(ownerId: string, name: string, monthlyTokens: number | null): Promise<LlmUsageView> {
    const flowId = await this.flowId(ownerId, name);
    await this.usage.setBudget(flowId, monthlyTokens ?? undefined);
    return this.usageOf(ownerId, name, 1);
  }

  private async flowId(ownerId: string, name: string): Promise<string> {
    const found = await this.flows.findByName(ownerId, name);
    if (!found) throw new CodedError('FLOW_NOT_FOUND', `no flow named ${name}`);
    return found.flow.id;
  }
}
