/**
 * Starting the platform's real processes (built into dist/ by `npm run build`) for end-to-end tests,
 * with their output kept so a failing test can show it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Which built entry point to start. */
export type AppName = 'api' | 'worker' | 'standalone';

/** A running process of the platform. */
export interface PlatformProcess {
  name: AppName;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM (graceful) or SIGKILL (crash), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asks the OS for one, then releases it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `dist/apps/<name>/src/main.js` with exactly `env` (plus PATH) and resolves once `ready`
 * appears in its output.
 * @throws when the process exits or `timeoutMs` passes first; the message carries its output.
 */
export async function startProcess(
  name: AppName,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 30_000,
): Promise<PlatformProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', name, 'src', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: PlatformProcess = {
    name,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not become ready within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} ${why}; output:\n${output}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
  });
  return proc;
}

/**
 * Polls `probe` until it returns a value other than undefined/false.
 * @throws with `what` in the message when `timeoutMs` passes first.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
