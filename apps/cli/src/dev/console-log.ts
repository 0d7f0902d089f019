import type { FlowLogger, LogFields } from '@openflows/sdk';
import { print } from '../output';

/** The SDK's `log` for a local run: each line printed at once as `[level] message {fields}`. */
export function consoleFlowLogger(): FlowLogger {
  const line = (level: string) => (message: string, fields?: LogFields) => {
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    print(`[${level}] ${String(message)}${extra}`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
