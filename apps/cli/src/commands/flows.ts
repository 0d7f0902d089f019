import { Command } from 'commander';
import { apiClientFromEnv } from '../api-client';
import type { DeploymentJson, FlowJson } from '../api-types';
import { formatFields, formatTable, formatTime, print } from '../output';
import { describeSubscriptions } from '../subscriptions';

/** Prints deployed flows as a table. @throws CliError for an API error. */
async function list(): Promise<void> {
  const flows = await apiClientFromEnv().request<FlowJson[]>('GET', '/api/flows');
  if (flows.length === 0) return print('no flows yet: deploy one with `openflows deploy <folder>`');
  const rows = flows.map((flow) => [
    flow.name,
    flow.status,
    flow.version === undefined ? '-' : `v${flow.version}`,
    formatTime(flow.deployedAt),
    describeSubscriptions(flow.subscriptions).join('; '),
  ]);
  print(formatTable(['NAME', 'STATUS', 'VERSION', 'DEPLOYED', 'SUBSCRIPTIONS'], rows));
}

/** Prints one flow: status, version, variables and subscriptions. @throws CliError for an unknown flow. */
async function show(name: string): Promise<void> {
  const flow = await apiClientFromEnv().request<FlowJson>('GET', `/api/flows/${encodeURIComponent(name)}`);
  print(
    formatFields([
      ['name', flow.name],
      ['status', flow.status],
      ['reason', flow.reason],
      ['version', flow.version === undefined ? undefined : `v${flow.version}`],
      ['deployed', formatTime(flow.deployedAt)],
    ]),
  );
  print('env:');
  for (const [key, value] of Object.entries(flow.env)) print(`  ${key}=${value}`);
  print('subscriptions:');
  for (const line of describeSubscriptions(flow.subscriptions)) print(`  ${line}`);
}

/** Prints a flow's deployments, newest first, marking the live one. @throws CliError for an unknown flow. */
async function deployments(name: string): Promise<void> {
  const list = await apiClientFromEnv().request<DeploymentJson[]>('GET', `/api/flows/${encodeURIComponent(name)}/deployments`);
  const rows = list.map((d) => [
    `v${d.version}${d.live ? ' *' : ''}`,
    d.status,
    d.source.kind === 'git' ? `git ${d.source.url}${d.source.commit ? `@${d.source.commit.slice(0, 7)}` : ''}` : d.source.kind,
    formatTime(d.createdAt),
    d.error ?? '',
  ]);
  print(formatTable(['VERSION', 'STATUS', 'SOURCE', 'CREATED', 'ERROR'], rows));
}

/** `openflows flows list`, `openflows flows show <name>` and `openflows flows deployments <name>`. */
export function flowsCommand(): Command {
  const flows = new Command('flows').description('list and inspect deployed flows');
  flows.command('list').description('list flows with their status and subscriptions').action(list);
  flows.command('show').description('show a flow: version, variables, subscriptions').argument('<name>', 'flow name').action(show);
  flows
    .command('deployments')
    .description("list a flow's deployments, newest first (* = live)")
    .argument('<name>', 'flow name')
    .action(deployments);
  return flows;
}
