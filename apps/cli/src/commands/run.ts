import { Command } from 'commander';
import { apiClientFromEnv } from '../api-client';
import type { RunDetailJson } from '../api-types';
import { formatDuration, formatFields, formatTime, print } from '../output';

/**
 * Prints one run: its event, status, attempts, tokens, duration, error and every log line
 * (`[attempt] time level message {fields}`). @throws CliError for an unknown run.
 */
async function run(id: string): Promise<void> {
  const detail = await apiClientFromEnv().request<RunDetailJson>('GET', `/api/runs/${encodeURIComponent(id)}`);
  const { event } = detail;
  print(
    formatFields([
      ['run', detail.id],
      [
        'event',
        `${event.name}${event.action ? `.${event.action}` : ''}${event.target ? ` on ${event.target}` : ''} (delivery ${event.deliveryId})`,
      ],
      ['status', detail.status],
      ['attempts', detail.attempts],
      ['tokens', `${detail.promptTokens} prompt + ${detail.completionTokens} completion`],
      ['cost', detail.costUsd ? `~$${detail.costUsd.toFixed(6)} (estimated)` : undefined],
      ['duration', formatDuration(detail.durationMs)],
      ['started', formatTime(detail.startedAt)],
      ['finished', formatTime(detail.finishedAt)],
      ['error', detail.error],
    ]),
  );
  print('log:');
  if (detail.logs.length === 0) print('  (no lines)');
  for (const line of detail.logs) {
    const fields = line.fields && Object.keys(line.fields).length > 0 ? ` ${JSON.stringify(line.fields)}` : '';
    print(`  [${line.attempt}] ${formatTime(line.at)} ${line.level.padEnd(5)} ${line.message}${fields}`);
  }
}

/** `openflows run <id>`. */
export function runCommand(): Command {
  return new Command('run').description('show a run with its log').argument('<id>', 'run id (from `openflows runs <flow>`)').action(run);
}
