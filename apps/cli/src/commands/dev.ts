import { Command } from 'commander';
import { collectEnv } from '../env-option';
import type { DevOptions } from '../dev/run-dev';

/**
 * `openflows dev <folder> --event <name>[.<action>] | --request '<METHOD> /path' | --tick …`: runs a
 * flow locally for one GitHub event, one request to its HTTP endpoint or one tick of its schedule.
 * The dev machinery (LLM client, tokenizer, 4 MB of example payloads) is loaded only when this
 * command runs, so that the other commands start fast.
 */
export function devCommand(): Command {
  return new Command('dev')
    .description(
      'run a flow locally for one GitHub event, HTTP request or schedule tick: real LLM calls (OPENAI_BASE_URL, key from OPENFLOWS_SECRET_<NAME> or OPENAI_API_KEY), ' +
        'GitHub requests printed instead of sent',
    )
    .argument('<folder>', 'the flow folder')
    .option('--event <name[.action]>', 'GitHub event, e.g. issues.opened or issue_comment.created')
    .option('--request <"METHOD /path?query">', "a request to the flow's HTTP endpoint, e.g. 'GET /search?q=ai'; prints the response")
    .option('--header <"Name: value">', 'a header of --request; repeatable', (value: string, all: string[] = []) => [...all, value])
    .option('--body <text>', 'the body of --request (sent as JSON when it parses, unless --header sets content-type)')
    .option('--endpoint <name>', '--request goes to this endpoint when the flow has several')
    .option('--tick', "one tick of the flow's schedule")
    .option('--schedule <target>', "--tick ticks this schedule when the flow has several, e.g. 'every 60000'")
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
