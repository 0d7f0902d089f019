import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { FlowBundle } from '../bundle';
import { FlowDeployError } from '../errors';
import { flowBuildEnv } from './build-env';
import type { FlowBuildMessage, FlowBuildRequest } from './messages';

/** Options of {@link runFlowBuild}. */
export interface FlowBuildOptions {
  /** Only files under this folder may go into the bundle (see `BundleOptions.root`). */
  root?: string;
  /** V8 heap of the build process (MB; `--max-old-space-size`, FLOW_BUILD_MEMORY_MB). */
  memoryMb: number;
  /** The build process is killed, npm and esbuild with it, after this long (ms; FLOW_BUILD_TIMEOUT_MS). */
  timeoutMs: number;
  /** Receives the build log lines (npm's output); awaited in order before the build resolves. */
  log?: (line: string) => unknown;
}

/** Lines of the build process's stderr kept for the message when it dies. */
const STDERR_TAIL_LINES = 5;

/**
 * The compiled build process entry. From dist it sits beside this file; under jest, which runs the
 * sources, it is the same file of `npm run build`'s output (`dist/` mirrors the source tree), as for
 * the end-to-end specs.
 * @throws Error when it is not built.
 */
function childScript(): string {
  const name = 'flow-build-child.js';
  if (__filename.endsWith('.js')) return join(__dirname, name);
  const root = resolve(__dirname, '../../../..');
  const built = join(root, 'dist', relative(root, __dirname), name);
  if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
  return built;
}

/**
 * Installs a flow folder's npm dependencies and bundles it in a separate Node process that has none
 * of the server's secrets: its environment is {@link flowBuildEnv}'s (HOME, TMPDIR and npm's cache
 * in a temporary folder, removed afterwards; package scripts off), its heap is `memoryMb`, and it is
 * killed with its whole process group (npm, esbuild) after `timeoutMs`.
 * @returns the bundle, as `bundleFlow` makes it.
 * @throws FlowDeployError as `bundleFlow` and `installFlowDependencies` do (FLOW_INVALID, FLOW_BUILD_FAILED
 *   with esbuild's or npm's messages); FLOW_BUILD_FAILED "build took longer than N s" after `timeoutMs`,
 *   "the build ran out of memory (N MB)", or with its last stderr lines when the process dies otherwise. Error for an
 *   unexpected failure inside the build process.
 */
export async function runFlowBuild(folder: string, options: FlowBuildOptions): Promise<FlowBundle> {
  const script = childScript();
  const dir = mkdtempSync(join(tmpdir(), 'openflows-build-env-'));
  const dirs = { home: join(dir, 'home'), tmp: join(dir, 'tmp'), npmCache: join(dir, 'npm-cache') };
  for (const path of Object.values(dirs)) mkdirSync(path);
  const request: FlowBuildRequest = { folder: resolve(folder), root: options.root && resolve(options.root) };
  try {
    const child = fork(script, [JSON.stringify(request)], {
      cwd: dir,
      env: flowBuildEnv(process.env, dirs),
      execArgv: [`--max-old-space-size=${options.memoryMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Its own process group, so that a timeout kills npm and esbuild too.
      detached: true,
    });
    return await outcome(child, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits for the build process's result, relaying log lines, killing the group after `timeoutMs`. */
function outcome(child: ChildProcess, options: FlowBuildOptions): Promise<FlowBundle> {
  let logged: Promise<unknown> = Promise.resolve();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-10_000)));
  return new Promise<FlowBundle>((resolvePromise, reject) => {
    let result: FlowBuildMessage | undefined;
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new FlowDeployError('FLOW_BUILD_FAILED', `build took longer than ${options.timeoutMs / 1000} s`));
    }, options.timeoutMs);
    child.on('message', (message: FlowBuildMessage) => {
      if (message.type === 'log') logged = logged.then(() => options.log?.(message.line));
      else result = message;
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      killGroup(child);
      reject(new FlowDeployError('FLOW_BUILD_FAILED', `the build process could not be started: ${error.message}`));
    });
    // npm or esbuild may still run in the group when the build process itself died.
    child.once('exit', () => killGroup(child));
    // After the IPC channel and stderr are closed: every message has arrived.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      logged.then(() => {
        if (result?.type === 'done') return resolvePromise(result.bundle);
        if (result?.type === 'error')
          return reject(result.code ? new FlowDeployError(result.code, result.message) : new Error(result.message));
        reject(new FlowDeployError('FLOW_BUILD_FAILED', deathMessage(code ?? signal, stderr, options.memoryMb)));
      }, reject);
    });
  });
}

/** Why the build process ended without a result: out of heap (V8 says so on stderr), else its last stderr lines. */
function deathMessage(status: number | string | null, stderr: string, memoryMb: number): string {
  if (/heap out of memory/.test(stderr)) return `the build ran out of memory (${memoryMb} MB)`;
  const tail = stderr.trim().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
  return `the build process ended without a result (${status})${tail ? `:\n${tail}` : ''}`;
}

/** SIGKILL to the build process's group; nothing when it is gone already. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // ESRCH: the group has ended.
  }
}
