import { Command } from 'commander';
import { connectionsCommand } from './commands/connections';
import { deployCommand } from './commands/deploy';
import { devCommand } from './commands/dev';
import { endpointsCommand } from './commands/endpoints';
import { flowsCommand } from './commands/flows';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { secretsCommand } from './commands/secrets';
import { undeployCommand } from './commands/undeploy';

/**
 * The `openflows` command. Talks to the platform at `OPENFLOWS_URL` (default http://127.0.0.1:3000)
 * with `OPENFLOWS_TOKEN`; `dev` runs a flow locally without the platform.
 */
function program(): Command {
  return new Command('openflows')
    .description('Deploy and run OpenFlows flows. Platform: OPENFLOWS_URL (default http://127.0.0.1:3000), token: OPENFLOWS_TOKEN.')
    .showHelpAfterError('(run with --help for usage)')
    .addCommand(deployCommand())
    .addCommand(flowsCommand())
    .addCommand(connectionsCommand())
    .addCommand(endpointsCommand())
    .addCommand(undeployCommand())
    .addCommand(runsCommand())
    .addCommand(runCommand())
    .addCommand(secretsCommand())
    .addCommand(devCommand());
}

/** Runs the command line; any failure is printed as `error: <message>` and ends with exit status 1. */
async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

void main(process.argv);
