/** `console` inside the isolate: each call becomes one line of the run's log. */
import type { FlowLogger } from '@openflows/sdk';

function text(args: unknown[]): string {
  return args.map(format).join(' ');
}

function format(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function consoleFor(log: FlowLogger): Pick<Console, 'log' | 'info' | 'warn' | 'error' | 'debug'> {
  return {
    log: (...args: unknown[]) => log.info(text(args)),
    info: (...args: unknown[]) => log.info(text(args)),
    debug: (...args: unknown[]) => log.debug(text(args)),
    warn: (...args: unknown[]) => log.warn(text(args)),
    error: (...args: unknown[]) => log.error(text(args)),
  };
}
