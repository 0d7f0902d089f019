/**
 * The build process of flows (`runFlowBuild`), for real: the compiled child of `npm run build`, real
 * npm and esbuild. A flow's own files are what it runs on, so the flows here attack it: a dependency
 * with a postinstall script, a project `.npmrc` naming a program for npm to run (package scripts
 * being off does not stop that one, so the build ignores the file), and a dependency whose server
 * never answers, to read the build's environment as the kernel holds it and to see the deadline kill
 * everything the build started.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync, chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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
 * A flow whose `.npmrc` names `program` as npm's git, and a git dependency so that npm would run it:
 * npm honours a project `.npmrc` whatever `--ignore-scripts` says, so the build must ignore the file.
 */
function flowWithNpmrcProgram(program: string): string {
  const folder = flowFolder({
    'package.json': JSON.stringify({ name: 'sneaky', dependencies: { tool: 'git+file:///nowhere/tool.git' } }),
    'index.js': 'exports.run = () => {};',
    'git.sh': `#!/bin/sh\n${program}\nexit 1\n`,
  });
  chmodSync(join(folder, 'git.sh'), 0o755);
  writeFileSync(join(folder, '.npmrc'), `git=${join(folder, 'git.sh')}\n`);
  return folder;
}

/** A server on 127.0.0.1 that takes requests for a tarball and never answers them: npm waits. */
async function stallingServer(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer(() => (requests += 1));
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tool-1.0.0.tgz`,
    requests: () => requests,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A flow depending on a tarball at `url`. */
function flowDependingOn(url: string): string {
  return flowFolder({
    'package.json': JSON.stringify({ name: 'waiting', dependencies: { tool: url } }),
    'index.js': 'exports.run = () => {};',
  });
}

/** Processes whose parent is `parent` (from /proc), with their command lines. */
function childrenOf(parent: number): { pid: number; cmdline: string }[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1]);
        return ppid === parent ? [{ pid: Number(name), cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') }] : [];
      } catch {
        return [];
      }
    });
}

/** Every process below `root`, `root` included. */
function descendantsOf(root: number): number[] {
  return [root, ...childrenOf(root).flatMap(({ pid }) => descendantsOf(pid))];
}

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

test('the build process holds no secret of the server: its environment as the kernel holds it', async () => {
  const server = await stallingServer();
  process.env.MASTER_KEY = 'c'.repeat(64);
  process.env.GITHUB_CLIENT_SECRET = 'parent-client-secret';
  try {
    const build = runFlowBuild(flowDependingOn(server.url), { ...LIMITS, timeoutMs: 3000 }).catch((e: unknown) => e);
    let child: { pid: number } | undefined;
    while (!child || server.requests() === 0) {
      child = childrenOf(process.pid).find(({ cmdline }) => cmdline.includes('flow-build-child'));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const raw = readFileSync(`/proc/${child.pid}/environ`, 'utf8');
    await server.close();
    await build;
    const env = Object.fromEntries(
      raw
        .split('\0')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    // NODE_CHANNEL_*: the IPC channel of fork(); npm_config_* of the parent: registry settings (`npm_config_noproxy` under npm run).
    expect(Object.keys(env).filter((key) => !/^(PATH|HOME|TMPDIR|NODE_CHANNEL_\w+|npm_config_\w+)$/.test(key))).toEqual([]);
    expect(raw).not.toMatch(/MASTER_KEY|c{64}|parent-client-secret/);
    expect(env.HOME).toMatch(/openflows-build-env-/);
    expect(env.npm_config_ignore_scripts).toBe('true');
  } finally {
    delete process.env.MASTER_KEY;
    delete process.env.GITHUB_CLIENT_SECRET;
    await server.close().catch(() => undefined);
  }
});

test("ignores the flow's own .npmrc: a program it names for npm never runs", async () => {
  const marker = join(dir, 'npmrc-program-ran');
  const error = await runFlowBuild(flowWithNpmrcProgram(`touch ${marker}`), LIMITS).catch((e: unknown) => e);
  // npm uses the system's git for the dependency, which does not exist: the install fails, the program is not run.
  expect(error).toMatchObject({ code: 'FLOW_BUILD_FAILED', message: expect.stringMatching(/^npm install failed/) });
  expect(existsSync(marker)).toBe(false);
});

test('kills the build process, and what it started, after the timeout', async () => {
  const server = await stallingServer();
  const started = Date.now();
  const build = runFlowBuild(flowDependingOn(server.url), { ...LIMITS, timeoutMs: 4000 }).catch((e: unknown) => e);
  let tree: number[] = [];
  while (server.requests() === 0) {
    const child = childrenOf(process.pid).find(({ cmdline }) => cmdline.includes('flow-build-child'));
    if (child) tree = descendantsOf(child.pid);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const error = await build;
  await server.close();
  expect(error).toBeInstanceOf(FlowDeployError);
  expect(error).toMatchObject({ code: 'FLOW_BUILD_FAILED', message: 'build took longer than 4 s' });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(tree.length).toBeGreaterThan(1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(tree.filter(running)).toEqual([]);
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
