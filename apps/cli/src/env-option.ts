import { InvalidArgumentError } from 'commander';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Commander's parser of a repeatable `--env key=value` option: adds the pair to the variables parsed
 * so far. The value may contain `=` and may be empty.
 * @throws InvalidArgumentError (commander prints it and exits 1) when there is no `=` or the key is
 *   not a variable name.
 */
export function collectEnv(pair: string, previous: Record<string, string>): Record<string, string> {
  const at = pair.indexOf('=');
  const key = at === -1 ? '' : pair.slice(0, at);
  if (!KEY.test(key)) throw new InvalidArgumentError(`expected key=value with a variable name as key, got ${JSON.stringify(pair)}`);
  return { ...previous, [key]: pair.slice(at + 1) };
}
