import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import type { FlowLimits } from '@openflows/common';
import { readDeclaredSecrets, secretsBanner } from './declared-secrets';
import { FlowDeployError } from './errors';

/** Flow names: lower-case letters, digits, `-` and `_`; taken from the folder's package.json name. */
export const FLOW_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The first line of a bundle whose package.json sets `openflows.limits`; the runtime reads it back. */
const LIMITS_BANNER = '// openflows:limits ';

/**
 * The comment line carrying a flow's own limits (`openflows.limits` in its package.json: `cpuMs`,
 * `wallMs`, `memoryMb`, positive numbers, each optional), so that the limits travel with the bundle
 * through every way of deploying it. They can only tighten the platform's (see `tightenLimits`).
 * @throws FlowDeployError FLOW_INVALID when `openflows.limits` is not an object of positive numbers.
 */
function limitsBanner(limits: unknown): string {
  if (limits === undefined) return '';
  const valid =
    typeof limits === 'object' &&
    limits !== null &&
    !Array.isArray(limits) &&
    Object.entries(limits).every(([key, value]) => ['cpuMs', 'wallMs', 'memoryMb'].includes(key) && typeof value === 'number' && value > 0);
  if (!valid)
    throw new FlowDeployError(
      'FLOW_INVALID',
      'package.json "openflows.limits" must be { cpuMs?, wallMs?, memoryMb? } with positive numbers',
    );
  return `${LIMITS_BANNER}${JSON.stringify(limits)}`;
}

/** The limits a bundle's first line declares (see {@link limitsBanner}); none when it has no such line or it does not parse. */
export function bundleLimits(code: string): Partial<FlowLimits> | undefined {
  if (!code.startsWith(LIMITS_BANNER)) return undefined;
  try {
    const parsed = JSON.parse(code.slice(LIMITS_BANNER.length, code.indexOf('\n'))) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<FlowLimits>) : undefined;
  } catch {
    return undefined;
  }
}

/** A bundled flow, ready for `POST /api/flows`. */
export interface FlowBundle {
  name: string;
  /** One CommonJS file; `@openflows/sdk` is left as a `require` the runtime answers; first line: the flow's limits, when it sets any; then its declared secrets. */
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
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
    name?: string;
    main?: string;
    openflows?: { limits?: unknown; secrets?: unknown };
  };
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
      // Line 1: the flow's limits; then the secrets it declares (each line only when set).
      banner: {
        js: [limitsBanner(pkg.openflows?.limits), secretsBanner(readDeclaredSecrets(pkg.openflows?.secrets))].filter(Boolean).join('\n'),
      },
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
