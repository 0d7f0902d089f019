import { Command } from 'commander';
import { collectEnv } from '../env-option';
import type { DevOptions } from '../dev/run-dev';

/**
 * `openflows dev <folder> --event <name>[.<action>] …`: runs a flow locally for one event.
 * The dev machinery (LLM client, tokenizer, 4 MB of example payloads) is loaded only when this
 * command runs, so that the other commands start fast.
 */
export function devCommand(): Command {
  return new Command('dev')
    .description(
      'run a flow locally for one GitHub event: real LLM calls (OPENAI_BASE_URL, key from OPENFLOWS_SECRET_<NAME> or OPENAI_API_KEY), ' +
        'GitHub requests printed instead of sent',
    )
    .argument('<folder>', 'the flow folder')
    .requiredOption('--event <name[.action]>', 'GitHub event, e.g. issues.opened or issue_comment.created')
    .option('--payload <file.json>', "the event's payload (default: GitHub's published example for the event)")
    .option('-e, --env <key=value>', 'deploy-time variable read with env(key); repeatable', collectEnv, {})
    .option('--repo <owner/repo>', "repository the event is for (default: the flow's owner and repo variables)")
    .option('--bot-login <login>', "the GitHub App's bot login, e.g. my-app[bot] (github.context.botLogin)")
    .option('--live', 'send GitHub requests for real, with GITHUB_TOKEN (to GITHUB_API_URL)')
    .action(async (folder: string, options: DevOptions) => {
      // A .js specifier because Node resolves dynamic imports as ES modules (it maps to run-dev.ts).
      const { runDev } = await import('../dev/run-dev.js');
      await runDev(folder, options);
    });
}
