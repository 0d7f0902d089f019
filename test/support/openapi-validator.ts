/**
 * Validates an OpenAPI document with `@seriousme/openapi-schema-validator` (the OpenAPI Initiative's
 * published JSON Schemas for 2.0, 3.0, 3.1 and 3.2, checked with Ajv, plus its `$ref` resolution).
 * The validator is an ES module that reads its schemas relative to `import.meta.url`, which jest's
 * CommonJS runtime cannot load, so it runs in a child Node process fed the document on stdin.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

const SCRIPT = `
import { Validator } from '@seriousme/openapi-schema-validator';
let text = '';
for await (const chunk of process.stdin) text += chunk;
const result = await new Validator().validate(JSON.parse(text));
process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors ?? [] }));
`;

/** What the validator said: `errors` are Ajv's error objects (`instancePath`, `message`, …) when invalid. */
export interface OpenApiValidation {
  valid: boolean;
  errors: { instancePath?: string; message?: string; [field: string]: unknown }[];
}

/**
 * Validates `doc` (a parsed OpenAPI document) against the schema of the version it declares.
 * @throws when the validator process fails (not when the document is invalid: see `valid`).
 */
export async function validateOpenApi(doc: unknown): Promise<OpenApiValidation> {
  const child = spawn(process.execPath, ['--input-type=module', '--eval', SCRIPT], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin.end(JSON.stringify(doc));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`the OpenAPI validator exited with ${code}: ${err}`);
  return JSON.parse(out) as OpenApiValidation;
}
