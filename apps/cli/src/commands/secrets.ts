import { Command } from 'commander';
import { apiClientFromEnv } from '../api-client';
import type { SecretJson } from '../api-types';
import { formatTable, formatTime, print } from '../output';
import { readSecretValue } from '../secret-value';

interface SetOptions {
  value?: string;
  baseUrl?: string;
  model?: string;
  kind?: string;
  contextWindow?: number;
}

/**
 * Creates or replaces a named secret (`PUT /api/secrets/:name`) and says whether the provider
 * accepted an LLM key (the platform checks it when storing it). The value is never printed.
 * @throws CliError for an empty value or an API error (bad name, bad base URL).
 */
async function set(name: string, options: SetOptions): Promise<void> {
  const value = await readSecretValue(name, options.value);
  const body = {
    value,
    ...(options.kind ? { kind: options.kind } : {}),
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.contextWindow === undefined ? {} : { contextWindow: options.contextWindow }),
  };
  const secret = await apiClientFromEnv().request<SecretJson>('PUT', `/api/secrets/${encodeURIComponent(name)}`, body);
  print(`saved secret ${secret.name}${secret.last4 ? ` (value ending …${secret.last4})` : ''}`);
  if (secret.check?.status === 'ok') print('the provider accepted the key');
  else if (secret.check) print(`warning: the provider did not accept the key: ${secret.check.error ?? 'no reason given'}`);
}

/** Prints secrets with the last 4 characters of long values only, their kind and last use. @throws CliError */
async function list(): Promise<void> {
  const secrets = await apiClientFromEnv().request<SecretJson[]>('GET', '/api/secrets');
  if (secrets.length === 0) return print('no secrets yet: add one with `openflows secrets set <name>`');
  const rows = secrets.map((secret) => [
    secret.name,
    secret.last4 ? `…${secret.last4}` : '(hidden)',
    secret.baseURL ?? '-',
    secret.model ?? '-',
    secret.kind ?? '-',
    formatTime(secret.updatedAt),
    secret.lastUsedAt ? `${formatTime(secret.lastUsedAt)} by ${secret.lastUsedBy ?? '?'}` : '-',
  ]);
  print(formatTable(['NAME', 'VALUE', 'BASE URL', 'MODEL', 'KIND', 'UPDATED', 'LAST USED'], rows));
}

/** Deletes a secret. @throws CliError for an unknown secret. */
async function remove(name: string): Promise<void> {
  await apiClientFromEnv().request<void>('DELETE', `/api/secrets/${encodeURIComponent(name)}`);
  print(`deleted secret ${name}`);
}

/** `openflows secrets set|list|delete`. */
export function secretsCommand(): Command {
  const secrets = new Command('secrets').description('named secrets, e.g. LLM API keys that flows refer to by name');
  secrets
    .command('set')
    .description('create or replace a secret; the value is read from stdin when piped, else prompted for')
    .argument('<name>', 'secret name, e.g. openai')
    .option('--value <value>', 'the value (visible in shell history; prefer stdin or the prompt)')
    .option('--base-url <url>', 'LLM keys: base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1')
    .option('--model <model>', 'LLM keys: model used when a flow names none')
    .option('--context-window <tokens>', "LLM keys: the model's context window in tokens (unknown models get 8192)", Number)
    .option('--kind <kind>', 'llm or generic (default: llm with --base-url, --model or --context-window, else generic)')
    .action(set);
  secrets.command('list').description('list secrets (names and last 4 characters only)').action(list);
  secrets.command('delete').description('delete a secret').argument('<name>', 'secret name').action(remove);
  return secrets;
}
