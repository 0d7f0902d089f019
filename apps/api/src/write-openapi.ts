import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENAPI_PATH, describeApi } from './openapi';

/** The types generated from {@link OPENAPI_PATH}, which the dashboard and the CLI use. */
const API_TYPES_PATH = 'libs/api-types/src/openapi.ts';

/** What a file holds now, or undefined when it does not exist. */
function current(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * `npm run generate:api-types`: writes the REST API's OpenAPI description (docs/openapi.json) and the
 * types openapi-typescript generates from it (libs/api-types/src/openapi.ts). With `--check`
 * (`npm run check:api-types`) writes nothing and exits with status 1 when either file is not current.
 * Run from the repository root after `tsc`: the DTOs' property types come from decorator metadata.
 */
async function main(check: boolean): Promise<void> {
  const document = `${JSON.stringify(await describeApi(), null, 2)}\n`;
  const cli = join('node_modules', 'openapi-typescript', 'bin', 'cli.js');
  // openapi-typescript reads the file (its CLI is the documented way; the package is ES modules only).
  const types = (source: string) =>
    execFileSync(process.execPath, [cli, source], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (!check) {
    writeFileSync(OPENAPI_PATH, document);
    writeFileSync(API_TYPES_PATH, types(OPENAPI_PATH));
    process.stdout.write(`wrote ${OPENAPI_PATH} and ${API_TYPES_PATH}\n`);
    return;
  }
  const stale = [
    current(OPENAPI_PATH) !== document && OPENAPI_PATH,
    current(OPENAPI_PATH) !== undefined && current(API_TYPES_PATH) !== types(OPENAPI_PATH) && API_TYPES_PATH,
  ].filter(Boolean);
  if (stale.length === 0) return;
  process.stderr.write(`${stale.join(' and ')} not current: run \`npm run generate:api-types\` and commit the result\n`);
  process.exitCode = 1;
}

main(process.argv.includes('--check')).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
