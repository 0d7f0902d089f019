/**
 * The build process of flows (`runFlowBuild`), for real: the compiled child of `npm run build`, real
 * npm and esbuild. A flow's own files are what it runs on, so the flows here attack it: a dependency
 * with a postinstall script, and a project `.npmrc` whose `git=` makes npm run a program of the flow's
 * choosing (package scripts being off does not stop that one), which reports the environment of the
 * build process as the kernel holds it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowDeployError, runFlowBuild } from '@openflows/runtime';

const GITHUB_CHAT = join(__dirname, '../flows/github-chat');
const LIMITS = { memoryMb: 256, timeoutMs: 60_000 };

jest.setTimeout(90_000);

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openflows-build-spec-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (path → content) under `dir/flow`; the flow folder. */
function flowFolder(files: Record<string, string>): string {
  const folder = join(dir, 'flow');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  return folder;
}

/**
 * A flow whose `.npmrc` names `program` as npm's git, and a git dependency so that npm runs it. The
 * program finds the build process among its ancestors and copies its environment to `dir/build-env`.
 */
function flowRunningThroughNpm(program: string): string {
  const folder = flowFolder({
    'package.json': JSON.stringify({ name: 'sneaky', dependencies: { tool: 'git+file:///nowhere/tool.git' } }),
    'index.js': 'exports.run = () => {};',
    'git.sh': `#!/bin/sh\n${program}\nexit 1\n`,
  });
  chmodSync(join(folder, 'git.sh'), 0o755);
  writeFileSync(join(folder, '.npmrc'), `git=${join(folder, 'git.sh')}\n`);
  return folder;
}

const COPY_BUILD_ENV = `pid=$$
while [ "$pid" -gt 1 ]; do
  if tr '\\0' ' ' < /proc/$pid/cmdline | grep -q flow-build-child; then tr '\\0' '\\n' < /proc/$pid/environ > ${'$'}OUT; break; fi
  pid=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
done`;

/** Whether process `pid` exists and has not ended (a zombie nobody reaped has). */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('bundles flows/github-chat as bundleFlow does, in the build process', async () => {
  const folder = join(dir, 'github-chat');
  cpSync(GITHUB_CHAT, folder, { recursive: true });
  const bundle = await runFlowBuild(folder, { ...LIMITS, root: folder });
  expect(bundle.name).toBe('github-chat');
  expect(bundle.code).toContain('require("@openflows/sdk")');
});

test('reports what does not compile as FLOW_BUILD_FAILED with esbuild messages, and a bad package.json as FLOW_INVALID', async () => {
  const broken = flowFolder({ 'package.json': '{"name":"broken"}', 'index.ts': 'export const run = (' });
  await expect(runFlowBuild(broken, LIMITS)).rejects.toMatchObject({
    code: 'FLOW_BUILD_FAILED',
    message: expect.stringMatching(/^flow broken does not build:\n.*index\.ts:1: /),
  });
  writeFileSync(join(broken, 'package.json'), '{"name":"Not A Flow Name"}');
  await expect(runFlowBuild(broken, LIMITS)).rejects.toMatchObject({
    code: 'FLOW_INVALID',
    message: expect.stringContaining('"name" must be a flow name'),
  });
});

test('installs dependencies with package scripts off: a postinstall never runs, the dependency is bundled', async () => {
  const marker = join(dir, 'postinstall-ran');
  const script = `node -e "require('fs').writeFileSync('${marker}', 'ran')"`;
  const folder = flowFolder({
    'package.json': JSON.stringify({ name: 'greeter', scripts: { postinstall: script }, dependencies: { greet: 'file:vendor/greet' } }),
    'index.js': "const greet = require('greet'); exports.run = () => greet('flows');",
    'vendor/greet/package.json': JSON.stringify({ name: 'greet', version: '1.0.0', scripts: { postinstall: script } }),
    'vendor/greet/index.js': "module.exports = (who) => 'hello from greet, ' + who;",
  });
  const log: string[] = [];
  const bundle = await runFlowBuild(folder, { ...LIMITS, root: folder, log: (line) => log.push(line) });
  expect(bundle.code).toContain('hello from greet');
  expect(log[0]).toBe('npm install (greet)');
  expect(existsSync(marker)).toBe(false);
});

test('the build process holds no secret of the server, even what a flow makes npm run can read', async () => {
  const out = join(dir, 'build-env');
  process.env.MASTER_KEY = 'c'.repeat(64);
  process.env.GITHUB_CLIENT_SECRET = 'parent-client-secret';
  try {
    const folder = flowRunningThroughNpm(COPY_BUILD_ENV.replace('$OUT', out));
    await expect(runFlowBuild(folder, LIMITS)).rejects.toMatchObject({
      code: 'FLOW_BUILD_FAILED',
      message: expect.stringMatching(/^npm install failed/),
    });
  } finally {
    delete process.env.MASTER_KEY;
    delete process.env.GITHUB_CLIENT_SECRET;
  }
  const env = Object.fromEntries(
    readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  // NODE_CHANNEL_*: the IPC channel of fork(); npm_config_* of the parent: registry settings (`npm_config_noproxy` under npm run).
  expect(Object.keys(env).filter((key) => !/^(PATH|HOME|TMPDIR|NODE_CHANNEL_\w+|npm_config_\w+)$/.test(key))).toEqual([]);
  expect(readFileSync(out, 'utf8')).not.toMatch(/MASTER_KEY|c{64}|parent-client-secret/);
  expect(env.HOME).toMatch(/openflows-build-env-/);
  expect(env.npm_config_ignore_scripts).toBe('true');
});

test('kills the build process, and what it started, after the timeout', async () => {
  const pidFile = join(dir, 'pid');
  const folder = flowRunningThroughNpm(`sleep 60 & echo $! > ${pidFile}; wait`);
  const started = Date.now();
  const error = await runFlowBuild(folder, { ...LIMITS, timeoutMs: 4000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FlowDeployError);
  expect(error).toMatchObject({ code: 'FLOW_BUILD_FAILED', message: 'build took longer than 4 s' });
  expect(Date.now() - started).toBeLessThan(10_000);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(running(pid)).toBe(false);
});

test('a bundle larger than the heap fails the build with out of memory; the flows of this repository fit in 32 MB', async () => {
  const folder = join(dir, 'github-chat');
  cpSync(GITHUB_CHAT, folder, { recursive: true });
  await expect(runFlowBuild(folder, { memoryMb: 32, timeoutMs: 60_000 })).resolves.toMatchObject({ name: 'github-chat' });
  // esbuild's output becomes a string in the build process's heap: 48 MB of it cannot fit in 32.
  const big = JSON.stringify('x'.repeat(1024 * 1024));
  const heavy = flowFolder({ 'package.json': '{"name":"heavy"}', 'index.js': `exports.run = () => [${Array(48).fill(big).join(',')}];` });
  await expect(runFlowBuild(heavy, { memoryMb: 32, timeoutMs: 60_000 })).rejects.toMatchObject({
    code: 'FLOW_BUILD_FAILED',
    message: 'the build ran out of memory (32 MB)',
  });
});
