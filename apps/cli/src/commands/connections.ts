import { Command } from 'commander';
import { apiClientFromEnv } from '../api-client';
import type { ConnectionJson } from '../api-types';
import { formatTable, formatTime, print } from '../output';

/** Prints connected accounts with status and reason. @throws CliError for an API error. */
async function list(): Promise<void> {
  const connections = await apiClientFromEnv().request<ConnectionJson[]>('GET', '/api/connections');
  if (connections.length === 0) return print('no connections yet: open <PUBLIC_URL>/connect/slack, or install the GitHub App');
  const rows = connections.map((c) => [c.id, c.provider, c.account, c.externalId, c.status, c.reason ?? '', formatTime(c.createdAt)]);
  print(formatTable(['ID', 'PROVIDER', 'ACCOUNT', 'EXTERNAL ID', 'STATUS', 'REASON', 'CONNECTED'], rows));
}

/** Forgets a connection and its credentials. @throws CliError for an unknown id. */
async function disconnect(id: string): Promise<void> {
  await apiClientFromEnv().request<void>('DELETE', `/api/connections/${encodeURIComponent(id)}`);
  print(`disconnected ${id}`);
}

/** `openflows connections list` and `openflows connections delete <id>`. */
export function connectionsCommand(): Command {
  const connections = new Command('connections').description('list and remove connected GitHub installations and Slack workspaces');
  connections.command('list').description('list connections with their status and its reason').action(list);
  connections
    .command('delete')
    .description('disconnect: forget a connection and its credentials')
    .argument('<id>', 'connection id')
    .action(disconnect);
  return connections;
}
