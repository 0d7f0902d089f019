import { SdkError, type EventSource } from './types';

/** The shortest interval `schedule.every` takes (ms). */
export const MIN_SCHEDULE_INTERVAL_MS = 1000;

/** Options of {@link ScheduleApi.cron}. */
export interface CronOptions {
  /** IANA time zone the expression is read in (`Europe/Paris`); default `UTC`. */
  timezone?: string;
}

/** `schedule` in a flow: sources that fire on a timetable, one `tick` event per tick. */
export interface ScheduleApi {
  /**
   * The source for `listenToEvent(source, ['tick'], handler)`: ticks at the times a cron expression
   * names (5 fields, minute to day of week, or 6 with seconds first), in `options.timezone`. Each tick
   * runs the flow once however many workers run; while the platform was down, at most one catch-up
   * tick follows. The handler gets a {@link ScheduleTick} as `event.payload`.
   * @throws SdkError INVALID_ARGUMENT for an expression without 5 or 6 fields or a bad time zone
   *   (the platform checks the expression itself at deploy).
   */
  cron(expression: string, options?: CronOptions): EventSource;
  /** Ticks every `ms` milliseconds (at least 1000). @throws SdkError INVALID_ARGUMENT */
  every(ms: number): EventSource;
}

const CRON_FIELD = /^[0-9A-Za-z*?/,#LW-]+$/;

function invalid(message: string): never {
  throw new SdkError('INVALID_ARGUMENT', message);
}

/** The `schedule` namespace of the SDK; it needs no host: sources are plain data. */
export const schedule: ScheduleApi = {
  cron(expression, options = {}) {
    const fields = typeof expression === 'string' ? expression.trim().split(/\s+/) : [];
    if ((fields.length !== 5 && fields.length !== 6) || !fields.every((field) => CRON_FIELD.test(field))) {
      invalid(`schedule.cron needs an expression of 5 or 6 fields such as "0 9 * * 1-5", got ${JSON.stringify(expression)}`);
    }
    const timezone = options?.timezone ?? 'UTC';
    if (typeof timezone !== 'string' || !/^[A-Za-z0-9_+\-/]{1,64}$/.test(timezone))
      invalid(`schedule.cron timezone must be an IANA name such as "Europe/Paris"`);
    const normalised = fields.join(' ');
    return { provider: 'schedule', target: `cron ${normalised} ${timezone}`.toLowerCase(), options: { expression: normalised, timezone } };
  },
  every(ms) {
    if (!Number.isInteger(ms) || ms < MIN_SCHEDULE_INTERVAL_MS)
      invalid(`schedule.every(ms) needs a whole number of milliseconds, at least ${MIN_SCHEDULE_INTERVAL_MS}`);
    return { provider: 'schedule', target: `every ${ms}`, options: { every: ms } };
  },
};
