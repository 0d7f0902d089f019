/**
 * Flows built by the platform itself, end to end through the real api and worker processes on
 * PostgreSQL and Redis: deployed from a git repository made in the test (file://, allowed by
 * FLOW_SOURCES_ALLOW_LOCAL=true) — default branch, another branch with a sub-folder, a required
 * variable missing — and from a folder uploaded as multipart; redeployed, paused and resumed,
 * listed with their deployment history, purged; and invisible to another signed-in user.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const GITHUB_CHAT = join(ROOT, 'flows/github-chat');
const OWNER = 'octo-org';
const REPO = 'hello';
const ENV = { owner: OWNER, repo: REPO, openai_key_name: 'openai' };
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

jest.setTimeout(90_000);

let platform: Platform;
let repo: string;
let repoUrl: string;
let flowsBranchCommit: string;
let nextIssue = 500;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** Polls the flow until its status is `status`; the flow view. */
async function flowWithStatus(name: string, status: string) {
  let last: any;
  return waitFor(
    `${name} to be ${status}`,
    async () => {
      last = (await platform.request('GET', `/api/flows/${name}`)).body;
      if (last?.status === 'error' && status !== 'error') throw new Error(`${name} failed: ${JSON.stringify(last)}`);
      return last?.status === status ? last : undefined;
    },
    40_000,
  );
}

function issueOpened(title: string) {
  const payload = withInstallation(withRepo(examplePayload('issues', 'opened'), OWNER, REPO), INSTALLATION_ID);
  Object.assign(payload.issue, { number: nextIssue++, title, body: 'from the flow-sources test' });
  return payload;
}

/** Delivers an opened issue and waits until the run of `flow` for it succeeded; the event id. */
async function deliverAndRun(flow: string): Promise<string> {
  const res = await platform.deliver('issues', issueOpened(`for ${flow}`));
  expect(res.status).toBe(202);
  await waitFor(`run of ${flow}`, async () =>
    (await platform.runs(flow)).find((r) => r.eventId === res.body.eventId && r.status === 'succeeded'),
  );
  return res.body.eventId;
}

/** The files of a folder as a multipart form: field `name`, `env` (JSON) and `files` named by their path. */
function uploadForm(name: string, folder: string, env: Record<string, string>, extra: { path: string; content: string }[] = []): FormData {
  const form = new FormData();
  form.append('name', name);
  form.append('env', JSON.stringify(env));
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => (statSync(join(dir, entry)).isDirectory() ? walk(join(dir, entry)) : [join(dir, entry)]));
  for (const file of walk(folder)) form.append('files', new Blob([readFileSync(file)]), relative(folder, file));
  for (const file of extra) form.append('files', new Blob([file.content]), file.path);
  return form;
}

async function upload(form: FormData, token = ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${platform.url}/api/flows/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'openflows-e2e-repo-'));
  git(repo, 'init', '-q', '-b', 'main');
  cpSync(GITHUB_CHAT, repo, { recursive: true });
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'github-chat at the top');
  git(repo, 'checkout', '-qb', 'flows');
  rmSync(join(repo, 'src'), { recursive: true });
  rmSync(join(repo, 'package.json'));
  cpSync(GITHUB_CHAT, join(repo, 'flows/github-chat'), { recursive: true });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'github-chat in a sub-folder');
  flowsBranchCommit = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', 'main');
  repoUrl = pathToFileURL(repo).href;

  platform = await Platform.start({
    mode: 'separate',
    repositories: [`${OWNER}/${REPO}`],
    oauth: { clientId: 'Iv23liE2eSources01', clientSecret: 'e2e-oauth-client-secret' },
    env: {
      FLOW_SOURCES_ALLOW_LOCAL: 'true',
      API_TOKEN: ADMIN_TOKEN,
      MASTER_KEY: randomBytes(32).toString('base64'),
      PUBLIC_URL: 'https://flows.example.test',
    },
  });
  // API_TOKEN is the local user: it connects the installation, stores the key and owns the flows below.
  const connected = await platform.connectInstallation(await platform.connectStart(ADMIN_TOKEN), INSTALLATION_ID);
  expect(connected.status).toBe(200);
  await platform.putLlmKey('openai');
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('git sources', () => {
  test("inspect-git reads the flow's name and declared variables without deploying", async () => {
    const res = await platform.request('POST', '/api/flows/inspect-git', { url: repoUrl });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('github-chat');
    expect(res.body.variables.owner).toEqual({ description: expect.any(String), required: true });
    expect(res.body.variables.system_prompt.required).toBe(false);
    expect((await platform.request('GET', '/api/flows')).body).toEqual([]);
  });

  test.each([
    ['an ssh URL', { url: 'ssh://git@github.com/octo/flows.git' }, 'FLOW_SOURCE_INVALID'],
    ['a sub-folder with ..', { url: 'https://github.com/octo/flows.git', path: '../x' }, 'FLOW_SOURCE_INVALID'],
    ['a branch that does not exist', { branch: 'nope' }, 'FLOW_SOURCE_INVALID'],
  ])('inspect-git refuses %s with 400', async (_what, source, code) => {
    const res = await platform.request('POST', '/api/flows/inspect-git', { url: repoUrl, ...source });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code });
  });

  test('deploys from the default branch: 202 building, then running, and answers an issue', async () => {
    const res = await platform.request('POST', '/api/flows/git', { name: 'github-chat', url: repoUrl, env: ENV });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      name: 'github-chat',
      status: 'building',
      latestDeployment: { version: 1, status: 'building', live: false },
    });

    const flow = await flowWithStatus('github-chat', 'running');
    expect(flow).toMatchObject({ version: 1, env: ENV, latestDeployment: { version: 1, status: 'active', live: true } });
    expect(flow.latestDeployment.source).toEqual({ kind: 'git', url: repoUrl, commit: git(repo, 'rev-parse', 'main') });
    expect(flow.variables.repo).toEqual({ description: 'Name of the repository to serve', required: true });
    expect(flow.subscriptions).toContainEqual({ provider: 'github', target: `${OWNER}/${REPO}`, event: 'issues', registered: true });
    await deliverAndRun('github-chat');
  });

  test('deploys a sub-folder of another branch', async () => {
    const res = await platform.request('POST', '/api/flows/git', {
      name: 'chat-sub',
      url: repo,
      branch: 'flows',
      path: 'flows/github-chat',
      env: ENV,
    });
    expect(res.status).toBe(202);
    const flow = await flowWithStatus('chat-sub', 'running');
    expect(flow.latestDeployment.source).toEqual({
      kind: 'git',
      url: repo,
      branch: 'flows',
      path: 'flows/github-chat',
      commit: flowsBranchCommit,
    });
    await deliverAndRun('chat-sub');
  });

  test('a missing required variable fails the build: status error, the reason and the build log say which', async () => {
    const res = await platform.request('POST', '/api/flows/git', { name: 'chat-missing', url: repoUrl, env: { owner: OWNER } });
    expect(res.status).toBe(202);
    const flow = await flowWithStatus('chat-missing', 'error');
    expect(flow.reason).toMatch(/^missing required variables: repo \(.+\), openai_key_name/);
    expect(flow.version).toBeUndefined();
    expect(flow.latestDeployment).toMatchObject({ version: 1, status: 'failed', live: false, error: flow.reason });

    const deployment = await platform.request('GET', '/api/flows/chat-missing/deployments/1');
    expect(deployment.status).toBe(200);
    expect(deployment.body.buildLog).toContain('cloning');
    expect(deployment.body.buildLog).toContain('variables: owner, repo, openai_key_name, system_prompt');
    expect(deployment.body.buildLog).toContain('failed: missing required variables');
    expect(deployment.body.finishedAt).toEqual(expect.any(String));
  });

  test('redeploys with new variables after a failure; the history shows which version is live', async () => {
    const res = await platform.request('POST', '/api/flows/chat-missing/redeploy', { env: ENV });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('building');
    const flow = await flowWithStatus('chat-missing', 'running');
    expect(flow.version).toBe(2);

    const again = await platform.request('POST', '/api/flows/chat-missing/redeploy', {});
    expect(again.status).toBe(202);
    await waitFor('v3 live', async () => (await platform.request('GET', '/api/flows/chat-missing')).body.version === 3);
    const history = await platform.request('GET', '/api/flows/chat-missing/deployments');
    expect(history.body.map((d: any) => [d.version, d.status, d.live])).toEqual([
      [3, 'active', true],
      [2, 'superseded', false],
      [1, 'failed', false],
    ]);
    expect(history.body[0].env).toBeUndefined();
    expect(history.body[0].buildLog).toBeUndefined();
    expect(history.body[0].source).toMatchObject({ kind: 'git', url: repoUrl });
    expect((await platform.request('GET', '/api/flows/chat-missing/deployments/9')).status).toBe(404);
  });
});

describe('folder uploads', () => {
  test('a folder uploaded as multipart is built and runs', async () => {
    const res = await upload(uploadForm('uploaded', GITHUB_CHAT, ENV));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ name: 'uploaded', status: 'building' });
    const flow = await flowWithStatus('uploaded', 'running');
    expect(flow.latestDeployment.source).toEqual({ kind: 'upload', files: 2 });
    expect(Object.keys(flow.variables)).toEqual(['owner', 'repo', 'openai_key_name', 'system_prompt']);
    await deliverAndRun('uploaded');

    const redeployed = await platform.request('POST', '/api/flows/uploaded/redeploy', {});
    expect(redeployed.status).toBe(202);
    await waitFor('uploaded v2 live', async () => (await platform.request('GET', '/api/flows/uploaded')).body.version === 2);
    const v2 = await platform.request('GET', '/api/flows/uploaded/deployments/2');
    expect(v2.body.buildLog).toContain('reusing the bundle');
  });

  test('refuses a path with .. (400) and more than 5 MB (413)', async () => {
    const evil = await upload(uploadForm('evil', GITHUB_CHAT, ENV, [{ path: '../escape.js', content: 'x' }]));
    expect(evil.status).toBe(400);
    expect(evil.body).toMatchObject({ code: 'FLOW_SOURCE_INVALID' });
    const big = await upload(uploadForm('big', GITHUB_CHAT, ENV, [{ path: 'big.txt', content: 'x'.repeat(6 * 1024 * 1024) }]));
    expect(big.status).toBe(413);
    expect((await platform.request('GET', '/api/flows/evil')).status).toBe(404);
  });
});

describe('pause, resume and purge', () => {
  test('a paused flow gets no run for a delivery, while the others do; resumed, it gets them again', async () => {
    const paused = await platform.request('POST', '/api/flows/chat-sub/pause');
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');

    const eventId = await deliverAndRun('github-chat');
    expect((await platform.runs('chat-sub')).some((r) => r.eventId === eventId)).toBe(false);

    const resumed = await platform.request('POST', '/api/flows/chat-sub/resume');
    expect(resumed.body.status).toBe('running');
    await deliverAndRun('chat-sub');
  });

  test('undeploy keeps the flow and its history; purge deletes it with its runs', async () => {
    expect((await platform.runs('uploaded')).length).toBeGreaterThan(0);
    expect((await platform.request('DELETE', '/api/flows/uploaded')).status).toBe(204);
    expect((await platform.request('GET', '/api/flows/uploaded')).body.status).toBe('undeployed');
    expect((await platform.request('GET', '/api/flows/uploaded/deployments')).body).toHaveLength(2);

    expect((await platform.request('DELETE', '/api/flows/uploaded?purge=true')).status).toBe(204);
    expect((await platform.request('GET', '/api/flows/uploaded')).status).toBe(404);
    expect((await platform.request('GET', '/api/flows/uploaded/runs')).status).toBe(404);
    expect((await platform.request('DELETE', '/api/flows/uploaded?purge=true')).status).toBe(404);
  });
});

describe('owners', () => {
  test("another user's flow is not found by any flow route", async () => {
    const mallory = await platform.signIn('mallory');
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/flows/github-chat'],
      ['GET', '/api/flows/github-chat/deployments'],
      ['GET', '/api/flows/github-chat/deployments/1'],
      ['POST', '/api/flows/github-chat/redeploy', {}],
      ['POST', '/api/flows/github-chat/pause'],
      ['POST', '/api/flows/github-chat/resume'],
      ['DELETE', '/api/flows/github-chat'],
      ['DELETE', '/api/flows/github-chat?purge=true'],
    ];
    for (const [method, path, body] of routes) {
      expect([method, path, (await platform.requestAs(mallory, method, path, body)).status]).toEqual([method, path, 404]);
    }
    expect((await platform.requestAs(mallory, 'GET', '/api/flows')).body).toEqual([]);
    expect((await platform.request('GET', '/api/flows/github-chat')).body.status).toBe('running');
  });

  test("a build of another user's flow name creates that user's own flow", async () => {
    const mallory = await platform.signIn('mallory2');
    const res = await platform.requestAs(mallory, 'POST', '/api/flows/git', { name: 'github-chat', url: repoUrl, env: ENV });
    expect(res.status).toBe(202);
    expect(res.body.latestDeployment.version).toBe(1);
    const mine = (await platform.request('GET', '/api/flows/github-chat')).body;
    expect(mine.id).not.toBe(res.body.id);
    // Finished before the next test starts another api, which marks builds under way as interrupted.
    await waitFor(
      "mallory2's build",
      async () => (await platform.requestAs(mallory, 'GET', '/api/flows/github-chat')).body.status !== 'building',
    );
  });
});

test('the git routes refuse local sources unless FLOW_SOURCES_ALLOW_LOCAL is on', async () => {
  const strict = await platform.startExtraApi({ FLOW_SOURCES_ALLOW_LOCAL: 'false' });
  try {
    const res = await fetch(`${strict.url}/api/flows/inspect-git`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ url: repoUrl }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/FLOW_SOURCES_ALLOW_LOCAL/);
  } finally {
    await strict.process.stop();
  }
});
