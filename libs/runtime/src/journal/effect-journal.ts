import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EffectContext } from '@openflows/common';

/** One completed effect as an attempt recorded it: which call it was, and what it answered. */
interface JournalEntry {
  /** Digest of the capability and its arguments: a retry replays the entry only for the same call. */
  call: string;
  value: unknown;
}

/**
 * How far before the run's creation vendors are searched for its markers (ms): their clocks are not
 * ours, and GitHub's timestamps have whole seconds. Markers are unique, so a wider window costs only
 * a longer page.
 */
const CLOCK_MARGIN_MS = 5 * 60 * 1000;

/** Digest of one SDK call: capability name and arguments as JSON. */
function digestOf(capability: string, args: unknown[]): string {
  return createHash('sha256').update(capability).update('\u0000').update(JSON.stringify(args)).digest('base64url');
}

/**
 * The effects of one run, journaled per step so a retried attempt does not repeat what an earlier one
 * completed (a comment, a message, a store write, a non-GET fetch, an LLM turn). The n-th effect of an
 * attempt is step n; a retry that reaches step n with the same call (same capability and arguments)
 * gets the recorded answer instead of running it again, and runs it for real otherwise (the flow took
 * another path). Only completed effects are recorded: a failed one is tried again on retry.
 * Between an effect and its entry a crash can still intervene; capabilities that can close that
 * window with the vendor (a GitHub comment's marker, a Slack message's metadata) get the step's
 * `EffectContext` and look the effect up on a retry.
 * Redis: hash `<prefix>:journal:<run id>`, field = step, value = JSON entry; it expires `ttlSeconds`
 * after the last write.
 */
export class EffectJournal {
  private entries?: Map<number, JournalEntry>;
  private steps = 0;
  private written = false;

  /**
   * @param run.retry whether an earlier attempt of the run may have acted (a retry, a stalled job taken
   *   over): only then do capabilities look for their markers at the vendor. The journal itself is
   *   read in any case (one HGETALL, at the first effect), so a missed retry still replays.
   * @param run.startedAt when the run was created (ISO 8601): its effects date from after it (give or take the vendors' clocks).
   */
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly run: { id: string; retry: boolean; startedAt: string },
    private readonly ttlSeconds = 7 * 24 * 3600,
  ) {}

  /**
   * Runs `effect` as the next step, or answers what an earlier attempt recorded for the same call.
   * @throws what `effect` throws (nothing is recorded then); the Redis error when the entry cannot be
   *   written (the run fails and is retried: the effect happened, and its marker lets the retry find it).
   */
  async step(capability: string, args: unknown[], effect: (context: EffectContext) => Promise<unknown>): Promise<unknown> {
    const step = ++this.steps;
    const call = digestOf(capability, args);
    const recorded = (await this.recorded()).get(step);
    if (recorded && recorded.call === call) return recorded.value;
    const since = new Date(Date.parse(this.run.startedAt) - CLOCK_MARGIN_MS).toISOString();
    const value = await effect({ marker: `openflows:${this.run.id}:${step}`, retry: this.run.retry, since });
    await this.write(step, { call, value });
    return value;
  }

  private async recorded(): Promise<Map<number, JournalEntry>> {
    if (!this.entries) {
      const raw = await this.redis.hgetall(this.key);
      this.entries = new Map(Object.entries(raw).map(([step, json]) => [Number(step), JSON.parse(json) as JournalEntry]));
    }
    return this.entries;
  }

  private async write(step: number, entry: JournalEntry): Promise<void> {
    const json = JSON.stringify(entry);
    if (this.written) {
      await this.redis.hset(this.key, String(step), json);
      return;
    }
    await this.redis.multi().hset(this.key, String(step), json).expire(this.key, this.ttlSeconds).exec();
    this.written = true;
  }
}
