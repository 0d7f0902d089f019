import webhookDefinitions from '@octokit/webhooks-examples';
import { CliError } from '../cli-error';

/**
 * A copy of the first example payload GitHub published (`@octokit/webhooks-examples`) for `event`
 * and, when given, `action`.
 * @throws CliError listing the known events, or the actions with examples, when none matches.
 */
export function examplePayload(event: string, action: string | undefined): Record<string, unknown> {
  const definition = webhookDefinitions.find((d) => d.name === event);
  if (!definition) {
    const known = webhookDefinitions.map((d) => d.name).join(', ');
    throw new CliError(`no example payload for GitHub event "${event}"; pass --payload <file.json>, or use one of: ${known}`);
  }
  const examples = definition.examples as Record<string, unknown>[];
  const example = action === undefined ? examples[0] : examples.find((e) => e.action === action);
  if (!example) {
    const actions = [...new Set(examples.map((e) => e.action).filter((a) => typeof a === 'string'))].join(', ');
    throw new CliError(
      `no example "${event}" payload with action "${action}"; pass --payload <file.json>, or use one of: ${actions || '(no actions)'}`,
    );
  }
  return structuredClone(example);
}
