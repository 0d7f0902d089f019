import { SdkError } from '@openflows/sdk/types';
import type { Redis } from 'ioredis';

/** One day's LLM use of a flow (UTC day, `YYYY-MM-DD`). */
export interface DailyUsage {
  date: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Estimated, see `prices.ts`. */
  costUsd: number;
}

/** What one call adds. */
export interface UsageRecord {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

/** Days of daily usage kept (a bit over a year). */
const DAY_TTL_SECONDS = 400 * 86_400;
/** A month's token count is kept into the next month, for the budget's answer on its first day. */
const MONTH_TTL_SECONDS = 62 * 86_400;
const DAY_MS = 86_400_000;

const day = (at: Date) => at.toISOString().slice(0, 10);
const month = (at: Date) => at.toISOString().slice(0, 7);

/**
 * LLM use per flow in Redis, for the flow's daily figures and its monthly token budget:
 * `<prefix>:llm-usage:<flowId>:<YYYY-MM-DD>` (hash of calls, tokens and cost, kept 400 days),
 * `<prefix>:llm-tokens:<flowId>:<YYYY-MM>` (the month's tokens, prompt and completion together) and
 * `<prefix>:llm-budget:<flowId>` (the budget in tokens per calendar month, UTC; none: unlimited).
 */
export class LlmUsageStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  /** Adds one call's use to its day and month. */
  async record(flowId: string, usage: UsageRecord, at = new Date()): Promise<void> {
    const dayKey = this.key('llm-usage', flowId, day(at));
    const monthKey = this.key('llm-tokens', flowId, month(at));
    await this.redis
      .multi()
      .hincrby(dayKey, 'calls', 1)
      .hincrby(dayKey, 'promptTokens', usage.promptTokens)
      .hincrby(dayKey, 'completionTokens', usage.completionTokens)
      .hincrbyfloat(dayKey, 'costUsd', usage.costUsd)
      .expire(dayKey, DAY_TTL_SECONDS)
      .incrby(monthKey, usage.promptTokens + usage.completionTokens)
      .expire(monthKey, MONTH_TTL_SECONDS)
      .exec();
  }

  /** The last `count` days up to `until` (1 to 400), oldest first; days without calls are zeros. */
  async days(flowId: string, count: number, until = new Date()): Promise<DailyUsage[]> {
    const dates = Array.from({ length: count }, (_, i) => day(new Date(until.getTime() - (count - 1 - i) * DAY_MS)));
    const pipeline = this.redis.pipeline();
    for (const date of dates) pipeline.hgetall(this.key('llm-usage', flowId, date));
    const rows = ((await pipeline.exec()) ?? []).map(([, value]) => (value ?? {}) as Record<string, string>);
    return dates.map((date, i) => ({
      date,
      calls: Number(rows[i].calls ?? 0),
      promptTokens: Number(rows[i].promptTokens ?? 0),
      completionTokens: Number(rows[i].completionTokens ?? 0),
      costUsd: roundCost(Number(rows[i].costUsd ?? 0)),
    }));
  }

  /** Tokens the flow used in the calendar month (UTC) of `at`. */
  async monthTokens(flowId: string, at = new Date()): Promise<number> {
    return Number((await this.redis.get(this.key('llm-tokens', flowId, month(at)))) ?? 0);
  }

  /** The flow's monthly token budget; undefined: none. */
  async budget(flowId: string): Promise<number | undefined> {
    const value = await this.redis.get(this.key('llm-budget', flowId));
    return value === null ? undefined : Number(value);
  }

  /** Sets (a positive integer) or removes (`undefined`) the flow's monthly token budget. @throws RangeError for another number. */
  async setBudget(flowId: string, tokens: number | undefined): Promise<void> {
    const key = this.key('llm-budget', flowId);
    if (tokens === undefined) {
      await this.redis.del(key);
      return;
    }
    if (!Number.isSafeInteger(tokens) || tokens <= 0) throw new RangeError(`a token budget must be a positive integer, got ${tokens}`);
    await this.redis.set(key, String(tokens));
  }

  /**
   * Checked before each LLM call of the flow: the call that crosses the budget still completes, the
   * next ones fail until the month ends or the budget is raised.
   * @throws SdkError BUDGET_EXCEEDED once this month's tokens reached the budget.
   */
  async assertWithinBudget(flowId: string, at = new Date()): Promise<void> {
    const [budget, used] = await Promise.all([this.budget(flowId), this.monthTokens(flowId, at)]);
    if (budget !== undefined && used >= budget) {
      throw new SdkError(
        'BUDGET_EXCEEDED',
        `the flow used ${used} of its ${budget} LLM tokens for ${month(at)}; raise it with PUT /api/flows/<name>/llm-budget`,
      );
    }
  }

  private key(kind: string, flowId: string, suffix?: string): string {
    return [this.keyPrefix, kind, flowId, ...(suffix === undefined ? [] : [suffix])].join(':');
  }
}

/** Costs are estimates; nano-dollars are precision enough for one small call and hide float noise. */
export function roundCost(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
