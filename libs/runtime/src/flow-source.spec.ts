import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleFlow } from './bundle';
import { FlowDeployError } from './errors';
import {
  checkGitSource,
  checkRelativePath,
  cloneFlowSource,
  installFlowDependencies,
  missingVariables,
  readFlowPackage,
  writeUploadedFiles,
} from './flow-source';

const GITHUB_CHAT = resolve(__dirname, '../../../flows/github-chat');
/** No allow patterns: `file://` clones are not subject to the egress policy, so they need none. */
const NO_EGRESS = { allow: [] };
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openflows-source-'));
  dirs.push(dir);
  return dir;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { cwd, encoding: 'utf8' }).trim();
}

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof FlowDeployError) return error.code;
    throw error;
  }
  return undefined;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('checkGitSource', () => {
  it('accepts https and http URLs, and local sources only when allowed', () => {
    expect(checkGitSource({ url: 'https://github.com/octo/flows.git', branch: 'main', path: './flows/chat/' }, false)).toEqual({
      cloneUrl: 'https://github.com/octo/flows.git',
      path: 'flows/chat',
    });
    expect(checkGitSource({ url: 'http://git.local/x' }, false).cloneUrl).toBe('http://git.local/x');
    expect(codeOf(() => checkGitSource({ url: 'file:///srv/repo' }, false))).toBe('FLOW_SOURCE_INVALID');
    expect(codeOf(() => checkGitSource({ url: '/srv/repo' }, false))).toBe('FLOW_SOURCE_INVALID');
    expect(checkGitSource({ url: '/srv/repo' }, true).cloneUrl).toBe('file:///srv/repo');
    expect(checkGitSource({ url: 'file:///srv/repo' }, true).cloneUrl).toBe('file:///srv/repo');
  });

  it.each([
    ['ssh', { url: 'ssh://git@github.com/octo/x.git' }],
    ['scp-like', { url: 'git@github.com:octo/x.git' }],
    ['ext', { url: 'ext::sh -c touch% /tmp/pwned' }],
    ['relative path', { url: 'repo' }],
    ['credentials', { url: 'https://user:token@github.com/octo/x.git' }],
    ['an option as branch', { url: 'https://github.com/x', branch: '--upload-pack=touch' }],
    ['.. in branch', { url: 'https://github.com/x', branch: 'a..b' }],
    ['.. in path', { url: 'https://github.com/x', path: 'flows/../../etc' }],
    ['absolute path', { url: 'https://github.com/x', path: '/etc' }],
  ])('refuses %s', (_what, source) => {
    expect(codeOf(() => checkGitSource(source, true))).toBe('FLOW_SOURCE_INVALID');
  });
});

describe('checkRelativePath', () => {
  it('normalises separators and dots, refuses absolute paths and ..', () => {
    expect(checkRelativePath('src\\index.ts', 'file')).toBe('src/index.ts');
    expect(checkRelativePath('./a//b/./c', 'file')).toBe('a/b/c');
    expect(codeOf(() => checkRelativePath('C:\\x', 'file'))).toBe('FLOW_SOURCE_INVALID');
    expect(codeOf(() => checkRelativePath('a/../../b', 'file'))).toBe('FLOW_SOURCE_INVALID');
  });
});

describe('readFlowPackage and missingVariables', () => {
  it('reads the name without scope, the declared variables and secrets and the dependencies besides the SDK', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: '@me/my-flow',
        dependencies: { '@openflows/sdk': '*', 'left-pad': '1.3.0' },
        openflows: { variables: { owner: { description: 'Owner', required: true, extra: 1 }, tone: {} }, secrets: ['gh_token'] },
      }),
    );
    const pkg = readFlowPackage(dir);
    expect(pkg).toEqual({
      name: 'my-flow',
      variables: { owner: { description: 'Owner', required: true }, tone: {} },
      secrets: [{ name: 'gh_token' }],
      dependencies: ['left-pad'],
    });
    expect(missingVariables(pkg.variables, {})).toEqual(['owner']);
    expect(missingVariables(pkg.variables, { owner: '' })).toEqual(['owner']);
    expect(missingVariables(pkg.variables, { owner: 'octo' })).toEqual([]);
  });

  it('refuses a folder without package.json and malformed variables', () => {
    const dir = tempDir();
    expect(codeOf(() => readFlowPackage(dir))).toBe('FLOW_INVALID');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', openflows: { variables: ['owner'] } }));
    expect(codeOf(() => readFlowPackage(dir))).toBe('FLOW_INVALID');
  });
});

describe('writeUploadedFiles', () => {
  const file = (path: string, content = '{}') => ({ path, content: Buffer.from(content) });

  it('writes the files under their paths', () => {
    const dir = tempDir();
    expect(writeUploadedFiles(dir, [file('package.json'), file('src/index.ts', 'x')])).toBe(dir);
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toBe('x');
  });

  it("takes a single top folder holding package.json as the flow folder (a browser's folder upload)", () => {
    const dir = tempDir();
    writeUploadedFiles(dir, [file('github-chat/package.json'), file('github-chat/src/index.ts')]);
    expect(existsSync(join(dir, 'package.json'))).toBe(true);
    expect(existsSync(join(dir, 'src/index.ts'))).toBe(true);
  });

  it.each([
    ['no files', []],
    ['..', [file('package.json'), file('../evil.js')]],
    ['an absolute path', [file('/etc/cron.d/x')]],
    ['a file twice', [file('package.json'), file('./package.json')]],
  ])('refuses %s', (_what, files) => {
    expect(codeOf(() => writeUploadedFiles(tempDir(), files))).toBe('FLOW_SOURCE_INVALID');
  });
});

describe('cloneFlowSource', () => {
  let repo: string;
  let branchCommit: string;

  beforeAll(() => {
    repo = tempDir();
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), 'flows\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'readme');
    git(repo, 'checkout', '-qb', 'flows');
    cpSync(GITHUB_CHAT, join(repo, 'flows/github-chat'), { recursive: true });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'github-chat');
    branchCommit = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'checkout', '-q', 'main');
  });

  it('clones a branch at depth 1 and returns the sub-folder and commit, which bundles inside the checkout', async () => {
    const dir = join(tempDir(), 'checkout');
    const { cloneUrl, path } = checkGitSource({ url: repo, branch: 'flows', path: 'flows/github-chat' }, true);
    const { folder, commit } = await cloneFlowSource({ cloneUrl, branch: 'flows', path }, dir, NO_EGRESS);
    expect(folder).toBe(join(dir, 'flows/github-chat'));
    expect(commit).toBe(branchCommit);
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('1');
    expect((await bundleFlow(folder, { root: dir })).name).toBe('github-chat');
  });

  it('fails plainly for a missing branch or sub-folder', async () => {
    const cloneUrl = checkGitSource({ url: repo }, true).cloneUrl;
    await expect(cloneFlowSource({ cloneUrl, branch: 'nope' }, join(tempDir(), 'a'), NO_EGRESS)).rejects.toMatchObject({
      code: 'FLOW_SOURCE_INVALID',
      message: expect.stringContaining('git clone failed'),
    });
    await expect(cloneFlowSource({ cloneUrl, path: 'flows/github-chat' }, join(tempDir(), 'b'), NO_EGRESS)).rejects.toMatchObject({
      code: 'FLOW_SOURCE_INVALID',
      message: 'the repository has no folder flows/github-chat',
    });
  });
});

/**
 * Smart HTTP in front of the repositories under `root` (`/git/<name>.git/…`) through `git
 * http-backend` as CGI; `/moved/…` answers a redirect to `/git/…`. Counts the requests under `/git/`.
 */
function gitHttpServer(root: string): { server: Server; gitRequests: () => number } {
  let gitRequests = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/moved/')) {
      res.writeHead(301, { location: url.pathname.replace(/^\/moved/, '/git') + url.search }).end();
      return;
    }
    gitRequests += 1;
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname.replace(/^\/git/, ''),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    });
    req.pipe(backend.stdin);
    const out: Buffer[] = [];
    backend.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    backend.on('close', () => {
      const all = Buffer.concat(out);
      const split = all.indexOf('\r\n\r\n');
      const headers = Object.fromEntries(
        all
          .subarray(0, split)
          .toString()
          .split('\r\n')
          .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const status = Number((headers.status ?? '200').split(' ')[0]);
      delete headers.status;
      res.writeHead(status, headers).end(all.subarray(split + 4));
    });
  });
  return { server, gitRequests: () => gitRequests };
}

describe('cloneFlowSource over http, under the egress policy', () => {
  let http: ReturnType<typeof gitHttpServer>;
  let port: number;
  let commit: string;

  beforeAll(async () => {
    const work = tempDir();
    git(work, 'init', '-q', '-b', 'main');
    writeFileSync(join(work, 'README.md'), 'over http\n');
    git(work, 'add', '.');
    git(work, 'commit', '-qm', 'readme');
    commit = git(work, 'rev-parse', 'HEAD');
    const root = tempDir();
    git(root, 'clone', '-q', '--bare', work, 'repo.git');
    http = gitHttpServer(root);
    await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
    port = (http.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    http.server.closeAllConnections();
    await new Promise((resolve) => http.server.close(resolve));
  });

  it.each(['127.0.0.1', 'localhost'])('clones from %s when its host:port is allowed', async (host) => {
    const dir = join(tempDir(), 'checkout');
    const { cloneUrl } = checkGitSource({ url: `http://${host}:${port}/git/repo.git` }, false);
    await expect(cloneFlowSource({ cloneUrl }, dir, { allow: [`${host}:${port}`] })).resolves.toEqual({ folder: dir, commit });
  });

  it.each([
    ['127.0.0.1', '127.0.0.1 is a loopback address'],
    ['localhost', 'localhost resolves to 127.0.0.1, a loopback address'],
  ])('refuses %s when nothing allows it, before git talks to it', async (host, why) => {
    const before = http.gitRequests();
    const dir = join(tempDir(), 'checkout');
    await expect(cloneFlowSource({ cloneUrl: `http://${host}:${port}/git/repo.git` }, dir, { allow: [] })).rejects.toMatchObject({
      code: 'FLOW_SOURCE_INVALID',
      message: `git clone refused: ${why}`,
    });
    expect(http.gitRequests()).toBe(before);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    ['http://169.254.169.254/repo.git', '169.254.169.254 is a cloud metadata address'],
    ['https://10.0.0.1/repo.git', '10.0.0.1 is a private address'],
    ['https://[fd00:ec2::254]/repo.git', 'fd00:ec2::254 is a cloud metadata address'],
    ['http://metadata.google.internal/repo.git', 'metadata.google.internal is a cloud metadata address'],
  ])('refuses %s without connecting', async (cloneUrl, why) => {
    const started = performance.now();
    await expect(cloneFlowSource({ cloneUrl }, join(tempDir(), 'checkout'), { allow: [] })).rejects.toMatchObject({
      code: 'FLOW_SOURCE_INVALID',
      message: `git clone refused: ${why}`,
    });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('does not follow a redirect, even on an allowed host', async () => {
    const before = http.gitRequests();
    await expect(
      cloneFlowSource({ cloneUrl: `http://127.0.0.1:${port}/moved/repo.git` }, join(tempDir(), 'checkout'), {
        allow: [`127.0.0.1:${port}`],
      }),
    ).rejects.toMatchObject({ code: 'FLOW_SOURCE_INVALID', message: expect.stringContaining('git clone failed') });
    expect(http.gitRequests()).toBe(before);
  });
});

describe('bundleFlow with a root', () => {
  it('refuses a flow that imports a file outside its source folder', async () => {
    const outside = tempDir();
    writeFileSync(join(outside, 'host.js'), 'module.exports = "host secret";');
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sneaky' }));
    writeFileSync(
      join(dir, 'src/index.ts'),
      `import secret from ${JSON.stringify(join(outside, 'host.js'))};\nexport async function run() { console.log(secret); }`,
    );
    await expect(bundleFlow(dir, { root: dir })).rejects.toMatchObject({
      code: 'FLOW_BUILD_FAILED',
      message: expect.stringContaining('outside'),
    });
    expect((await bundleFlow(dir)).name).toBe('sneaky');
  });
});

describe('installFlowDependencies', () => {
  it('installs the dependencies besides the SDK (here a local package), which then get bundled', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'greeting'));
    writeFileSync(join(root, 'greeting/package.json'), JSON.stringify({ name: 'greeting', version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(root, 'greeting/index.js'), 'module.exports = "hello from a dependency";');
    const dir = join(root, 'flow');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'with-deps', dependencies: { '@openflows/sdk': '*', greeting: 'file:../greeting' } }),
    );
    writeFileSync(join(dir, 'src/index.ts'), `import greeting from 'greeting';\nexport async function run() { console.log(greeting); }`);

    await installFlowDependencies(dir);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies).toEqual({ greeting: 'file:../greeting' });
    expect((await bundleFlow(dir, { root })).code).toContain('hello from a dependency');
  }, 60_000);

  it('fails with npm’s own words for a dependency that cannot be installed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'broken', dependencies: { nothing: 'file:../does-not-exist.tgz' } }));
    await expect(installFlowDependencies(dir)).rejects.toMatchObject({
      code: 'FLOW_BUILD_FAILED',
      message: expect.stringContaining('npm install failed'),
    });
  }, 60_000);
});
