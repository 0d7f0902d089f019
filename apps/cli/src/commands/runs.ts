import { Command, InvalidArgumentError } from 'commander';
import { apiClientFromEnv } from '../api-client';
import type { RunJson } from '../api-types';
import { formatDuration, formatTable, formatTime, print } from '../output';

const MAX_ERROR = 60;

/** Commander's parser of `--limit`: a whole number from 1 to 200. @throws InvalidArgumentError */
function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new InvalidArgumentError('a whole number from 1 to 200');
  return limit;
}

/** Prints a flow's latest runs, newest first. @throws CliError for an unknown flow. */
async function runs(flow: string, options: { limit: number }): Promise<void> {
  const list = await apiClientFromEnv().request<RunJson[]>('GET', `/api/flows/${encodeURIComponent(flow)}/runs?limit=${options.limit}`);
  if (list.length === 0) return print(`no runs of ${flow} yet`);
  const rows = list.map((run) => [
    run.id,
    run.status,
    String(run.attempts),
    String(run.promptTokens + run.completionTokens),
    formatDuration(run.durationMs),
    formatTime(run.createdAt),
    truncate(run.error ?? ''),
  ]);
  print(formatTable(['ID', 'STATUS', 'ATTEMPTS', 'TOKENS', 'DURATION', 'CREATED', 'ERROR'], rows));
}

function truncate(text: string): string {
  const line = text.split('\n')[0];
  return line.length > MAX_ERROR ? `${line.slice(0, MAX_ERROR - 1)}…` : line;
}

/** `openflows runs <flow> [--limit n]`. */
export function runsCommand(): Command {
  return new Command('runs')
    .description("list a flow's latest runs")
    .argument('<flow>', 'flow name')
    .option('-l, --limit <n>', 'how many runs, 1 to 200', parseLimit, 20)
    .action(runs);
}
