import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli-error';

/** One entry of a flow's `package.json` `openflows.variables`. */
export interface FlowVariable {
  description?: string;
  required?: boolean;
}

/**
 * The deploy-time variables a flow declares in its `package.json` under `openflows.variables`
 * (`{ "<name>": { "description": "…", "required": true } }`); empty when it declares none.
 * @throws CliError when the folder has no readable package.json or `openflows.variables` is not an object.
 */
export function readFlowVariables(folder: string): Record<string, FlowVariable> {
  const file = join(folder, 'package.json');
  if (!existsSync(file)) throw new CliError(`${folder} is not a flow folder: it has no package.json`);
  let pkg: { openflows?: { variables?: unknown } };
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8')) as typeof pkg;
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const variables = pkg.openflows?.variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    throw new CliError(`${file}: "openflows.variables" must be an object of { description, required } entries`);
  }
  return variables as Record<string, FlowVariable>;
}

/**
 * Checks that every variable the flow marks `required` is given, before anything is bundled or sent.
 * @throws CliError listing each missing variable as `--env name=…` with its description.
 */
export function assertRequiredVariables(folder: string, env: Record<string, string>): void {
  const missing = Object.entries(readFlowVariables(folder)).filter(([name, variable]) => variable.required === true && !(name in env));
  if (missing.length === 0) return;
  const lines = missing.map(([name, variable]) => `  --env ${name}=…${variable.description ? `  (${variable.description})` : ''}`);
  throw new CliError(`the flow needs these variables, which were not given:\n${lines.join('\n')}`);
}
