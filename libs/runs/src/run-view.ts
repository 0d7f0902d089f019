import type { RunEventSummary, RunLogLine, RunRecord, RunStatus, StoredEvent } from '@openflows/db';

/**
 * A run as the API, the CLI and the live updates show it (the contract's RunView): the run row without
 * its deployment, with its flow's name and its event's summary. Unset optional fields are `null`.
 * Dates are `Date`s here and ISO 8601 strings once serialised to JSON.
 */
export interface RunView {
  id: string;
  flowId: string;
  flowName: string;
  eventId: string;
  status: RunStatus;
  /** Attempts started so far (1-based count). */
  attempts: number;
  error: string | null;
  /** LLM tokens over all attempts. */
  promptTokens: number;
  completionTokens: number;
  /** Estimated USD of the LLM calls over all attempts. */
  costUsd: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Milliseconds of the last attempt. */
  durationMs: number | null;
  createdAt: Date;
  event: RunEventSummary;
}

/** One log line of a run as the API and the live updates show it. */
export interface RunLogView {
  /** The attempt (1-based) that wrote it. */
  attempt: number;
  level: RunLogLine['level'];
  message: string;
  fields?: Record<string, unknown> | null;
  at: Date;
}

/** Maps a repository {@link RunRecord} to the {@link RunView} (drops owner and deployment ids). */
export function toRunView(record: RunRecord): RunView {
  return {
    id: record.id,
    flowId: record.flowId,
    flowName: record.flowName,
    eventId: record.eventId,
    status: record.status,
    attempts: record.attempts,
    error: record.error,
    promptTokens: record.promptTokens,
    completionTokens: record.completionTokens,
    costUsd: record.costUsd,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    durationMs: record.durationMs,
    createdAt: record.createdAt,
    event: { ...record.event },
  };
}

/** The summary of a stored event that runs show (no payload, conversation key or status). */
export function eventSummary(event: StoredEvent): RunEventSummary {
  const { id, provider, name, action, target, deliveryId, receivedAt, replayOf } = event;
  return { id, provider, name, action, target, deliveryId, receivedAt, replayOf };
}

/** Whether a run has reached a status it never leaves (`succeeded`, `failed`). */
export function isFinished(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}
