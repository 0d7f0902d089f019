import { Command } from 'commander';
import { apiClientFromEnv, apiSettingsFrom } from '../api-client';
import type { ConnectCodeJson, ConnectionJson } from '../api-types';
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

/**
 * Prints the link that connects an account of `provider` in a browser as the CLI's user: a one-time
 * code from `POST /api/connect-codes` (60 s, one use), so the token itself never lands in a URL.
 * @throws CliError for an API error.
 */
async function connect(provider: string): Promise<void> {
  const { code, expiresAt } = await apiClientFromEnv().request<ConnectCodeJson>('POST', '/api/connect-codes');
  const url = `${apiSettingsFrom(process.env).url}/connect/${encodeURIComponent(provider)}?code=${encodeURIComponent(code)}`;
  print(`open this link in your browser; it works once, until ${formatTime(expiresAt)}:`);
  print(url);
}

/** `openflows connections list`, `connections delete <id>` and `connections connect <provider>`. */
export function connectionsCommand(): Command {
  const connections = new Command('connections').description('list and remove connected GitHub installations and Slack workspaces');
  connections.command('list').description('list connections with their status and its reason').action(list);
  connections
    .command('delete')
    .description('disconnect: forget a connection and its credentials')
    .argument('<id>', 'connection id')
    .action(disconnect);
  connections
    .command('connect')
    .description('print a one-time link (60 s) that connects an account in the browser as you')
    .argument('<provider>', 'github, slack, or github/app (creating the GitHub App)')
    .action(connect);
  return connections;
}
