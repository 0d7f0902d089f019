import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

let script: string | undefined;

/** The guest entry beside this file: `.ts` when running from source (jest), `.js` from `dist/`. */
function guestEntry(): string {
  const base = join(__dirname, 'guest', 'entry');
  const found = ['.ts', '.js'].map((extension) => base + extension).find((file) => existsSync(file));
  if (!found) throw new Error(`the flow guest script is missing: no ${base}.ts or .js (run npm run build)`);
  return found;
}

/**
 * The script every flow context runs before the flow: `guest/entry` and what it imports (the SDK,
 * web globals), bundled once per process by esbuild into one IIFE. ES2023, no Node built-ins.
 */
export function guestScript(): string {
  script ??= buildSync({
    entryPoints: [guestEntry()],
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['main', 'module'],
    target: 'es2023',
    write: false,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).outputFiles[0].text;
  return script;
}
