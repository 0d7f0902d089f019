import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, join, posix, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, type EgressConfig } from '@openflows/common';
import { simpleGit } from 'simple-git';
import { EgressPolicy, EgressRefusedError, urlPort } from './egress/egress-policy';
import { readDeclaredSecrets, type DeclaredSecret } from './declared-secrets';
import { FlowDeployError } from './errors';

/** One deploy-time variable a flow declares in its package.json under `openflows.variables`. */
export interface FlowVariable {
  description?: string;
  required?: boolean;
}

/** What the platform reads from a flow folder's package.json. */
export interface FlowPackage {
  /** `name` without its npm scope; undefined when package.json has none. */
  name?: string;
  /** `openflows.variables`, empty when none are declared. */
  variables: Record<string, FlowVariable>;
  /** `openflows.secrets`: the secrets it needs, empty when none are declared. */
  secrets: DeclaredSecret[];
  /** Names of npm dependencies other than `@openflows/sdk` (which the runtime provides). */
  dependencies: string[];
}

/** A git source as a user gives it: repository URL, optional branch and sub-folder. */
export interface GitSourceSpec {
  url: string;
  branch?: string;
  path?: string;
}

/** One uploaded file: its path inside the flow folder (`src/index.ts`) and its bytes. */
export interface UploadedFile {
  path: string;
  content: Buffer;
}

const SDK = '@openflows/sdk';
const CLONE_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 300_000;
const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

/**
 * Reads `name`, `openflows.variables`, `openflows.secrets` and the dependencies of `folder/package.json`.
 * @throws FlowDeployError FLOW_INVALID when the file is missing, not JSON, or `openflows.variables` is not an object of objects
 *   (or `openflows.secrets` neither names nor an object of objects).
 */
export function readFlowPackage(folder: string): FlowPackage {
  const file = join(folder, 'package.json');
  if (!existsSync(file)) throw new FlowDeployError('FLOW_INVALID', 'the flow folder has no package.json');
  let pkg: { name?: unknown; dependencies?: Record<string, string>; openflows?: { variables?: unknown; secrets?: unknown } };
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8')) as typeof pkg;
  } catch (error) {
    throw new FlowDeployError('FLOW_INVALID', `package.json is not valid JSON: ${errorMessage(error)}`);
  }
  const variables = pkg.openflows?.variables ?? {};
  const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(variables) || !Object.values(variables as object).every(isObject)) {
    throw new FlowDeployError('FLOW_INVALID', 'package.json "openflows.variables" must be an object of { description, required } entries');
  }
  const clean = Object.fromEntries(
    Object.entries(variables as Record<string, Record<string, unknown>>).map(([key, v]) => [
      key,
      {
        ...(typeof v.description === 'string' ? { description: v.description } : {}),
        ...(typeof v.required === 'boolean' ? { required: v.required } : {}),
      },
    ]),
  );
  return {
    name: typeof pkg.name === 'string' ? pkg.name.replace(/^@[^/]+\//, '') : undefined,
    variables: clean,
    secrets: readDeclaredSecrets(pkg.openflows?.secrets),
    dependencies: Object.keys(pkg.dependencies ?? {}).filter((dep) => dep !== SDK),
  };
}

/** The variables `variables` marks required that `env` does not give, in declaration order. */
export function missingVariables(variables: Record<string, FlowVariable>, env: Record<string, string>): string[] {
  return Object.entries(variables)
    .filter(([key, variable]) => variable.required === true && !(key in env && env[key] !== ''))
    .map(([key]) => key);
}

/**
 * Checks a git source before anything is cloned: `https://` and `http://` URLs without credentials;
 * `file://` URLs and absolute local paths only when `allowLocal` (FLOW_SOURCES_ALLOW_LOCAL); a branch
 * name without `..` or a leading `-`; a sub-folder that is relative and stays inside the repository.
 * @returns the URL git is given (a local path as a `file://` URL) and the normalised sub-folder.
 * @throws FlowDeployError FLOW_SOURCE_INVALID saying what is wrong.
 */
export function checkGitSource(source: GitSourceSpec, allowLocal: boolean): { cloneUrl: string; path?: string } {
  const invalid = (message: string) => new FlowDeployError('FLOW_SOURCE_INVALID', message);
  const url = source.url.trim();
  let cloneUrl: string;
  if (isAbsolute(url)) {
    if (!allowLocal) throw invalid('local paths are not allowed as flow sources here (FLOW_SOURCES_ALLOW_LOCAL is off)');
    cloneUrl = pathToFileURL(url).href;
  } else {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(`not a repository URL: ${url}; use https://…`);
    }
    if (parsed.protocol === 'file:') {
      if (!allowLocal) throw invalid('file:// URLs are not allowed as flow sources here (FLOW_SOURCES_ALLOW_LOCAL is off)');
    } else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw invalid(`only https:// and http:// repository URLs are supported, not ${parsed.protocol}`);
    }
    if (parsed.username || parsed.password) throw invalid('credentials in the repository URL are not supported; use a public repository');
    cloneUrl = parsed.href;
  }
  if (source.branch !== undefined && !BRANCH.test(source.branch)) throw invalid(`not a branch name: ${source.branch}`);
  return { cloneUrl, path: source.path === undefined ? undefined : checkRelativePath(source.path, 'path') };
}

/**
 * A path inside a folder as given by a user (sub-folder, uploaded file name): `\` read as `/`,
 * `.` segments and a leading `./` dropped; empty means the folder itself.
 * @throws FlowDeployError FLOW_SOURCE_INVALID for an absolute path or one with `..`.
 */
export function checkRelativePath(path: string, what: string): string {
  const slashed = path.replace(/\\/g, '/').trim();
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) {
    throw new FlowDeployError('FLOW_SOURCE_INVALID', `${what} must be relative, got ${path}`);
  }
  if (slashed.split('/').includes('..')) throw new FlowDeployError('FLOW_SOURCE_INVALID', `${what} must not contain "..", got ${path}`);
  const normal = posix
    .normalize(slashed)
    .replace(/^\.\/?/, '')
    .replace(/\/$/, '');
  return normal;
}

/**
 * Clones `source` (depth 1, its branch only, no tags; git never prompts for credentials) into `dir`.
 * Call {@link checkGitSource} first. An `http(s)://` host is resolved and checked against the egress
 * policy first (loopback, private, metadata… refused unless `egress.allow` names its `host:port`),
 * git is pinned to the addresses checked (`http.curloptResolve`, git 2.37+) and told not to follow
 * redirects, so it cannot be led anywhere the check did not see. `file://` URLs are not checked.
 * @returns the flow folder (the sub-folder when given) and the commit checked out.
 * @throws FlowDeployError FLOW_SOURCE_INVALID when the policy refuses the host (the message names it
 *   and why), it does not resolve, git fails (message: git's own last lines), or the sub-folder is
 *   missing or leads outside the checkout.
 */
export async function cloneFlowSource(
  source: { cloneUrl: string; branch?: string; path?: string },
  dir: string,
  egress: Pick<EgressConfig, 'allow'>,
): Promise<{ folder: string; commit: string }> {
  const config = ['http.followRedirects=false', ...(await pinnedResolve(new URL(source.cloneUrl), egress))];
  const git = simpleGit({ timeout: { block: CLONE_TIMEOUT_MS }, allowEnvironment: ['GIT_TERMINAL_PROMPT'], config }).env({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GIT_TERMINAL_PROMPT: '0',
  });
  const options = ['--depth', '1', '--single-branch', '--no-tags', ...(source.branch ? ['--branch', source.branch] : [])];
  try {
    await git.clone(source.cloneUrl, dir, options);
  } catch (error) {
    const lines = errorMessage(error).trim().split('\n').filter(Boolean).slice(-3).join(' ');
    throw new FlowDeployError('FLOW_SOURCE_INVALID', `git clone failed: ${lines}`);
  }
  const commit = (await git.cwd(dir).revparse(['HEAD'])).trim();
  return { folder: folderInside(dir, source.path ?? ''), commit };
}

/**
 * The git config that pins an `http(s)` URL's host to the addresses the egress policy checked
 * (`http.curloptResolve=host:port:addr,…`); none for an IP literal (nothing to resolve) or `file://`.
 * @throws FlowDeployError FLOW_SOURCE_INVALID when the policy refuses the host or it does not resolve.
 */
async function pinnedResolve(url: URL, egress: Pick<EgressConfig, 'allow'>): Promise<string[]> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return [];
  let addresses: string[];
  try {
    addresses = await new EgressPolicy(egress.allow).resolve(url);
  } catch (error) {
    if (error instanceof EgressRefusedError) throw new FlowDeployError('FLOW_SOURCE_INVALID', `git clone refused: ${error.message}`);
    throw new FlowDeployError('FLOW_SOURCE_INVALID', `git clone failed: cannot resolve ${url.hostname} (${errorMessage(error)})`);
  }
  if (isIP(url.hostname.replace(/^\[(.*)\]$/, '$1'))) return [];
  const listed = addresses.map((address) => (isIP(address) === 6 ? `[${address}]` : address)).join(',');
  return [`http.curloptResolve=${url.hostname}:${urlPort(url)}:${listed}`];
}

/** `root/path` when it is a directory inside `root` (symbolic links resolved). @throws FlowDeployError FLOW_SOURCE_INVALID */
function folderInside(root: string, path: string): string {
  const folder = join(root, path);
  const missing = new FlowDeployError('FLOW_SOURCE_INVALID', `the repository has no folder ${path}`);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw missing;
  const real = realpathSync(folder);
  const realRoot = realpathSync(root);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw missing;
  return folder;
}

/**
 * Writes uploaded files into `dir`. When no `package.json` is at the top but every file shares one
 * top folder holding it (a browser's folder upload names files `github-chat/src/index.ts`), that
 * folder is the flow folder.
 * @returns the flow folder.
 * @throws FlowDeployError FLOW_SOURCE_INVALID for no files, a path that is absolute or has `..`, or a file given twice.
 */
export function writeUploadedFiles(dir: string, files: UploadedFile[]): string {
  if (files.length === 0) throw new FlowDeployError('FLOW_SOURCE_INVALID', 'no files uploaded');
  let paths = files.map((file) => checkRelativePath(file.path, 'file name'));
  if (paths.some((path) => path === '')) throw new FlowDeployError('FLOW_SOURCE_INVALID', 'a file has no name');
  const tops = new Set(paths.map((path) => path.split('/')[0]));
  if (!paths.includes('package.json') && tops.size === 1) {
    const [top] = tops;
    if (paths.includes(`${top}/package.json`)) paths = paths.map((path) => path.slice(top.length + 1));
  }
  if (new Set(paths).size !== paths.length) throw new FlowDeployError('FLOW_SOURCE_INVALID', 'the same file was uploaded twice');
  files.forEach((file, i) => {
    const target = join(dir, paths[i]);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, { flag: 'wx' });
  });
  return dir;
}

/**
 * Installs a flow's npm dependencies in its folder: `npm install --omit=dev --ignore-scripts
 * --no-audit --no-fund` (no package scripts run), with `@openflows/sdk` taken out of package.json
 * first (the runtime provides it), the flow's own `.npmrc` removed, and an environment of PATH, HOME
 * and proxy settings only.
 * @returns npm's output, for the build log.
 * @throws FlowDeployError FLOW_BUILD_FAILED with npm's last lines when it fails, is missing, or takes over 5 minutes.
 */
export async function installFlowDependencies(folder: string): Promise<string> {
  // A project .npmrc can name programs npm runs whatever --ignore-scripts says (`git=`, `script-shell=`…).
  const npmrc = join(folder, '.npmrc');
  const ignored = existsSync(npmrc) ? "the flow's own .npmrc is ignored (npm settings come from the platform)\n" : '';
  rmSync(npmrc, { force: true });
  const file = join(folder, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | undefined>;
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    if (pkg[field]) delete pkg[field][SDK];
  }
  writeFileSync(file, JSON.stringify(pkg, null, 2));
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  const args = ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier'];
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: INSTALL_TIMEOUT_MS });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => reject(new FlowDeployError('FLOW_BUILD_FAILED', `npm could not be started: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(ignored + output);
      const tail = output.trim().split('\n').slice(-5).join('\n');
      reject(new FlowDeployError('FLOW_BUILD_FAILED', `npm install failed (${code ?? signal}):\n${tail}`));
    });
  });
}
