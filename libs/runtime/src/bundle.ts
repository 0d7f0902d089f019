import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { FlowDeployError } from './errors';

/** Flow names: lower-case letters, digits, `-` and `_`; taken from the folder's package.json name. */
export const FLOW_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** A bundled flow, ready for `POST /api/flows`. */
export interface FlowBundle {
  name: string;
  /** One CommonJS file; `@openflows/sdk` is left as a `require` the runtime answers. */
  code: string;
}

const DEFAULT_ENTRIES = ['src/index.ts', 'index.ts', 'src/index.js', 'index.js'];

/** The entry file: package.json `main` when given, else the first default that exists. */
function entryOf(folder: string, pkg: { main?: string }): string {
  const candidates = pkg.main ? [pkg.main] : DEFAULT_ENTRIES;
  const found = candidates.map((c) => join(folder, c)).find((file) => existsSync(file));
  if (!found) throw new FlowDeployError('FLOW_INVALID', `no entry file in ${folder}: looked for ${candidates.join(', ')}`);
  return found;
}

/** Options of {@link bundleFlow}. */
export interface BundleOptions {
  /**
   * Only files under this folder may go into the bundle (server-side builds of git and uploaded
   * sources: a flow must not import the server's own files). Unset: no limit (the CLI, on your machine).
   */
  root?: string;
}

/**
 * Bundles a flow folder (a `package.json` and a TS/JS entry exporting `run()`) with esbuild into one
 * CommonJS file, the flow's own npm dependencies included, the SDK external.
 * @throws FlowDeployError FLOW_INVALID for a missing package.json, name or entry; FLOW_BUILD_FAILED
 *   with esbuild's messages for code that does not compile, or for a file outside `options.root`.
 */
export async function bundleFlow(folder: string, options: BundleOptions = {}): Promise<FlowBundle> {
  const dir = resolve(folder);
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) throw new FlowDeployError('FLOW_INVALID', `${dir} has no package.json`);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name?: string; main?: string };
  const name = (pkg.name ?? '').replace(/^@[^/]+\//, '');
  if (!FLOW_NAME.test(name)) {
    throw new FlowDeployError(
      'FLOW_INVALID',
      `package.json "name" must be a flow name matching ${FLOW_NAME}, got ${JSON.stringify(pkg.name)}`,
    );
  }
  let result;
  try {
    result = await build({
      entryPoints: [entryOf(dir, pkg)],
      absWorkingDir: dir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      external: ['@openflows/sdk'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    if (!errors) throw error;
    const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text));
    throw new FlowDeployError('FLOW_BUILD_FAILED', `flow ${name} does not build:\n${lines.join('\n')}`);
  }
  if (options.root) assertInside(resolve(options.root), dir, Object.keys(result.metafile.inputs));
  return { name, code: result.outputFiles[0].text };
}

/** @throws FlowDeployError FLOW_BUILD_FAILED naming the first esbuild input (relative to `dir`) outside `root`. */
function assertInside(root: string, dir: string, inputs: string[]): void {
  const outside = inputs.find((input) => {
    const path = relative(root, resolve(dir, input));
    return path.startsWith('..') || isAbsolute(path);
  });
  if (outside) throw new FlowDeployError('FLOW_BUILD_FAILED', `the flow imports ${outside}, which is outside its source folder`);
}
