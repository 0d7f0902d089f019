import { text } from 'node:stream/consumers';
import { CliError } from './cli-error';
import { promptHidden } from './hidden-prompt';

/**
 * The value for `secrets set`: `--value` when given; else all of stdin when it is not a terminal
 * (`echo $KEY | openflows secrets set name`), one trailing newline removed; else a prompt that does
 * not echo.
 * @throws CliError when the value is empty or the prompt is cancelled.
 */
export async function readSecretValue(name: string, given: string | undefined): Promise<string> {
  let value: string;
  if (given !== undefined) value = given;
  else if (!process.stdin.isTTY) value = (await text(process.stdin)).replace(/\r?\n$/, '');
  else value = await promptHidden(`value of secret ${name} (not shown): `);
  if (value === '') throw new CliError(`no value given for secret ${name}`);
  return value;
}
