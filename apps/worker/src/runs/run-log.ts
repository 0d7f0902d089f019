import type { FlowLogger, LogFields } from '@openflows/sdk';
import type { LogLevel, RunLogLine } from '@openflows/db';

/** Lines a run may keep, and the longest line; a runaway flow must not flood the database. */
const MAX_LINES = 1000;
const MAX_MESSAGE = 8192;

/**
 * Collects a run attempt's log lines (the flow's and the platform's) to store with the run. The flow
 * writes through {@link flowLog}, capped at 1000 lines; the platform's own lines (attempt, outcome,
 * the error) are always kept, so a run that flooded its log still says why it failed.
 * @param onLine called with each kept line as it is written (live updates); must not throw.
 */
export class RunLog implements FlowLogger {
  readonly lines: RunLogLine[] = [];
  private dropped = 0;
  private flowLines = 0;

  constructor(private readonly onLine?: (line: RunLogLine) => void) {}

  debug = (message: string, fields?: LogFields) => this.add('debug', message, fields);
  info = (message: string, fields?: LogFields) => this.add('info', message, fields);
  warn = (message: string, fields?: LogFields) => this.add('warn', message, fields);
  error = (message: string, fields?: LogFields) => this.add('error', message, fields);

  /** The logger the flow gets: the same log, at most 1000 of its lines kept. */
  readonly flowLog: FlowLogger = {
    debug: (message, fields) => this.addFromFlow('debug', message, fields),
    info: (message, fields) => this.addFromFlow('info', message, fields),
    warn: (message, fields) => this.addFromFlow('warn', message, fields),
    error: (message, fields) => this.addFromFlow('error', message, fields),
  };

  /** The lines, with a closing note when some were dropped. */
  collected(): RunLogLine[] {
    if (this.dropped === 0) return this.lines;
    return [...this.lines, { level: 'warn', message: `${this.dropped} more log lines were dropped (limit ${MAX_LINES})`, at: new Date() }];
  }

  private addFromFlow(level: LogLevel, message: string, fields?: LogFields): void {
    if (this.flowLines >= MAX_LINES) {
      this.dropped += 1;
      return;
    }
    this.flowLines += 1;
    this.add(level, message, fields);
  }

  private add(level: LogLevel, message: string, fields?: LogFields): void {
    const text = String(message);
    const line: RunLogLine = {
      level,
      message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text,
      fields,
      at: new Date(),
    };
    this.lines.push(line);
    this.onLine?.(line);
  }
}
