import { Command } from 'commander';
import { FLOW_NAME, bundleFlow } from '@openflows/runtime';
import { apiClientFromEnv } from '../api-client';
import type { FlowJson } from '../api-types';
import { CliError } from '../cli-error';
import { collectEnv } from '../env-option';
import { assertRequiredVariables } from '../flow-variables';
import { print } from '../output';
import { describeSubscriptions } from '../subscriptions';

interface DeployOptions {
  env: Record<string, string>;
  name?: string;
}

/**
 * Deploys a flow folder: checks its required variables, bundles it and sends it to `POST /api/flows`;
 * warns when the flow is `unregistered` (no GitHub App installation covers one of its repositories).
 * @throws CliError for a missing variable, a bad `--name`, or an API error; FlowDeployError when the
 *   flow does not build.
 */
async function deploy(folder: string, options: DeployOptions): Promise<void> {
  if (options.name !== undefined && !FLOW_NAME.test(options.name)) {
    throw new CliError(`--name must match ${FLOW_NAME}, got ${JSON.stringify(options.name)}`);
  }
  assertRequiredVariables(folder, options.env);
  const bundle = await bundleFlow(folder);
  const name = options.name ?? bundle.name;
  const flow = await apiClientFromEnv().request<FlowJson>('POST', '/api/flows', { name, code: bundle.code, env: options.env });
  print(`deployed ${flow.name} v${flow.version}`);
  print('subscriptions:');
  for (const line of describeSubscriptions(flow.subscriptions)) print(`  ${line}`);
  // Deployed all the same: it starts receiving events once the App is installed on the repository.
  if (flow.status === 'unregistered') print(`warning: unregistered: ${flow.reason}`);
}

/** `openflows deploy <folder> [--env k=v ...] [--name n]`. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description('bundle a flow folder and deploy it (replacing its previous deployment)')
    .argument('<folder>', 'the flow folder (package.json and src/index.ts)')
    .option('-e, --env <key=value>', 'deploy-time variable read with env(key); repeatable', collectEnv, {})
    .option('-n, --name <name>', 'flow name (default: the package.json name)')
    .action(deploy);
}
