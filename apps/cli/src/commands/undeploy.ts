import { Command } from 'commander';
import { apiClientFromEnv } from '../api-client';
import { print } from '../output';

/** Stops a flow receiving events (`DELETE /api/flows/:name`); its runs stay. @throws CliError */
async function undeploy(name: string): Promise<void> {
  await apiClientFromEnv().request<void>('DELETE', `/api/flows/${encodeURIComponent(name)}`);
  print(`undeployed ${name}: it no longer receives events (its runs are kept)`);
}

/** `openflows undeploy <name>`. */
export function undeployCommand(): Command {
  return new Command('undeploy').description('stop a flow receiving events').argument('<name>', 'flow name').action(undeploy);
}
