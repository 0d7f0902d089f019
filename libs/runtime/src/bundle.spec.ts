import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { unboundHost } from '@openflows/sdk/sdk';
import type { FlowLogger } from '@openflows/sdk';
import { bundleFlow, bundleLimits } from './bundle';
import { bundleSecrets, missingSecrets } from './declared-secrets';
import { discoverSubscriptions } from './discover';
import { FlowDeployError } from './errors';
import { executeFlow, type RunServices } from './run';

/** Runs `code` once for an `issues` event of octo/hello; @returns its log lines. */
async function runOnce(code: string): Promise<string[]> {
  const lines: string[] = [];
  const log: FlowLogger = {
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
  const { chatCompletion, store } = unboundHost();
  const services: RunServices = { chatCompletion, store, log, providers: {} };
  const event = {
    id: randomUUID(),
    provider: 'github' as const,
    name: 'issues',
    deliveryId: randomUUID(),
    target: 'octo/hello',
    payload: {},
  };
  await executeFlow({ flowName: 'my-flow', bundle: code, env: {}, event, services });
  return lines;
}

const GITHUB_CHAT = resolve(__dirname, '../../../flows/github-chat');

const folders: string[] = [];

/** A temporary flow folder holding `files` (path → content); removed after each test. */
function flowFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'openflows-flow-'));
  folders.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const packageJson = (fields: Record<string, unknown> = { name: 'my-flow' }) => JSON.stringify(fields);

const MINIMAL_FLOW = `
import { github, listenToEvent } from '@openflows/sdk';
export async function run(): Promise<void> {
  await listenToEvent(github.repo('octo', 'hello'), ['issues'], async () => undefined);
}
`;

/** The FlowDeployError `work` rejects with. */
async function deployErrorOf(work: Promise<unknown>): Promise<FlowDeployError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlowDeployError);
  return error as FlowDeployError;
}

afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bundleFlow', () => {
  it('bundles flows/github-chat into one CommonJS file that leaves the SDK external', async () => {
    const bundle = await bundleFlow(GITHUB_CHAT);
    expect(bundle.name).toBe('github-chat');
    expect(bundle.code).toContain('require("@openflows/sdk")');
    expect(bundle.code).toContain('module.exports');
    expect(bundle.code).not.toMatch(/\bimport\s+\{/);
  });

  it('produces a flows/github-chat bundle whose run() declares its subscriptions', async () => {
    const { code } = await bundleFlow(GITHUB_CHAT);
    const subscriptions = await discoverSubscriptions(
      code,
      { owner: 'Octo-Org', repo: 'Hello-World', openai_key_name: 'openai' },
      'github-chat',
    );
    expect(subscriptions).toEqual([
      { provider: 'github', target: 'octo-org/hello-world', event: 'issues' },
      { provider: 'github', target: 'octo-org/hello-world', event: 'issue_comment' },
    ]);
  });

  it('finds a TypeScript entry at src/index.ts without "main"', async () => {
    const dir = flowFolder({ 'package.json': packageJson(), 'src/index.ts': MINIMAL_FLOW });
    const bundle = await bundleFlow(dir);
    expect(bundle.name).toBe('my-flow');
    expect(bundle.code).not.toContain('Promise<void>');
    expect(await discoverSubscriptions(bundle.code, {}, 'my-flow')).toEqual([
      { provider: 'github', target: 'octo/hello', event: 'issues' },
    ]);
  });

  it('uses "main" from package.json and drops an npm scope from the name', async () => {
    const dir = flowFolder({
      'package.json': packageJson({ name: '@acme/triage', main: 'lib/entry.js' }),
      'lib/entry.js': 'exports.run = async () => "from main";',
      'src/index.ts': 'export async function run() { return "default entry"; }',
    });
    const bundle = await bundleFlow(dir);
    expect(bundle.name).toBe('triage');
    expect(bundle.code).toContain('from main');
    expect(bundle.code).not.toContain('default entry');
  });

  it("includes the flow's own npm dependencies in the bundle", async () => {
    const dir = flowFolder({
      'package.json': packageJson(),
      'node_modules/shout/package.json': JSON.stringify({ name: 'shout', main: 'index.js' }),
      'node_modules/shout/index.js': 'module.exports = (s) => s.toUpperCase() + "!";',
      'src/index.ts': `import shout from 'shout';\nimport { log } from '@openflows/sdk';\nexport async function run() { log.info(shout('hello')); }`,
    });
    const { code } = await bundleFlow(dir);
    expect(code).not.toContain('require("shout")');
    expect(await runOnce(code)).toEqual(['HELLO!']);
  });

  it("carries the flow's openflows.secrets after its limits", async () => {
    const secrets = { listen_notes: { description: 'Listen key', variable: 'key_name', extra: 1 }, plain: {} };
    const dir = flowFolder({
      'package.json': packageJson({ name: 'my-flow', openflows: { limits: { cpuMs: 500 }, secrets } }),
      'src/index.ts': MINIMAL_FLOW,
    });
    const { code } = await bundleFlow(dir);
    expect(bundleLimits(code)).toEqual({ cpuMs: 500 });
    const declared = bundleSecrets(code);
    expect(declared).toEqual([{ name: 'listen_notes', description: 'Listen key', variable: 'key_name' }, { name: 'plain' }]);
    expect(missingSecrets(declared, {}, new Set(['plain'])).map((s) => s.name)).toEqual(['listen_notes']);
    expect(missingSecrets(declared, { key_name: 'mine' }, new Set(['listen_notes'])).map((s) => s.name)).toEqual(['mine', 'plain']);
    expect(missingSecrets(declared, { key_name: 'mine' }, new Set(['mine', 'plain']))).toEqual([]);
    const listed = flowFolder({
      'package.json': packageJson({ name: 'my-flow', openflows: { secrets: ['a', 'b'] } }),
      'src/index.ts': MINIMAL_FLOW,
    });
    expect(bundleSecrets((await bundleFlow(listed)).code)).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(bundleSecrets((await bundleFlow(flowFolder({ 'package.json': packageJson(), 'src/index.ts': MINIMAL_FLOW }))).code)).toEqual([]);
  });

  it('refuses openflows.secrets that are neither names nor an object of entries', async () => {
    for (const secrets of ['token', [1], { token: 'x' }]) {
      const dir = flowFolder({ 'package.json': packageJson({ name: 'my-flow', openflows: { secrets } }), 'src/index.ts': MINIMAL_FLOW });
      await expect(bundleFlow(dir)).rejects.toMatchObject({ code: 'FLOW_INVALID' });
    }
  });

  it("carries the flow's openflows.limits in the bundle's first line", async () => {
    const dir = flowFolder({
      'package.json': packageJson({ name: 'my-flow', openflows: { limits: { cpuMs: 500, memoryMb: 32 } } }),
      'src/index.ts': MINIMAL_FLOW,
    });
    const { code } = await bundleFlow(dir);
    expect(bundleLimits(code)).toEqual({ cpuMs: 500, memoryMb: 32 });
    expect(
      bundleLimits((await bundleFlow(flowFolder({ 'package.json': packageJson(), 'src/index.ts': MINIMAL_FLOW }))).code),
    ).toBeUndefined();
  });

  it('refuses openflows.limits that are not positive numbers (FLOW_INVALID)', async () => {
    const dir = flowFolder({
      'package.json': packageJson({ name: 'my-flow', openflows: { limits: { cpuMs: -1 } } }),
      'src/index.ts': MINIMAL_FLOW,
    });
    expect((await deployErrorOf(bundleFlow(dir))).code).toBe('FLOW_INVALID');
  });

  it('refuses a folder without package.json (FLOW_INVALID)', async () => {
    const dir = flowFolder({ 'src/index.ts': MINIMAL_FLOW });
    const error = await deployErrorOf(bundleFlow(dir));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toContain('has no package.json');
  });

  it.each([
    ['missing', {}],
    ['upper-case', { name: 'MyFlow' }],
    ['with spaces', { name: 'my flow' }],
    ['starting with a dash', { name: '-flow' }],
  ])('refuses a %s name (FLOW_INVALID)', async (_what, fields) => {
    const dir = flowFolder({ 'package.json': packageJson(fields), 'src/index.ts': MINIMAL_FLOW });
    const error = await deployErrorOf(bundleFlow(dir));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toContain('package.json "name"');
  });

  it('refuses a folder without an entry file (FLOW_INVALID)', async () => {
    const dir = flowFolder({ 'package.json': packageJson(), 'README.md': '# nothing here' });
    const error = await deployErrorOf(bundleFlow(dir));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toContain('src/index.ts');
  });

  it('reports a syntax error as FLOW_BUILD_FAILED with file and line', async () => {
    const dir = flowFolder({
      'package.json': packageJson(),
      'src/index.ts': 'export async function run() {\n  const x = ;\n}\n',
    });
    const error = await deployErrorOf(bundleFlow(dir));
    expect(error.code).toBe('FLOW_BUILD_FAILED');
    expect(error.message).toMatch(/^flow my-flow does not build:\n/);
    expect(error.message).toMatch(/src\/index\.ts:2: /);
  });

  it('reports an import that does not resolve as FLOW_BUILD_FAILED', async () => {
    const dir = flowFolder({
      'package.json': packageJson(),
      'src/index.ts': "import x from 'not-installed';\nexport async function run() { return x; }",
    });
    const error = await deployErrorOf(bundleFlow(dir));
    expect(error.code).toBe('FLOW_BUILD_FAILED');
    expect(error.message).toMatch(/src\/index\.ts:1: .*not-installed/);
  });

  it('bundles a flow importing fs, which then fails at load with a clear message', async () => {
    const dir = flowFolder({
      'package.json': packageJson(),
      'src/index.ts': "import { readFileSync } from 'fs';\nexport async function run() { return readFileSync('/etc/passwd', 'utf8'); }",
    });
    const { code } = await bundleFlow(dir);
    const error = await runOnce(code).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FlowDeployError);
    expect((error as FlowDeployError).code).toBe('FLOW_INVALID');
    expect((error as FlowDeployError).message).toBe(
      'flow failed to load: flows can import only @openflows/sdk and the packages bundled with them; "fs" is not available',
    );
  });
});
