/**
 * GitHub accounts connected with a token (`admin:repo_hook`) instead of the App, end to end: the
 * token checked against the stand-in's `GET /user` + `X-OAuth-Scopes`, the repository webhook the
 * platform creates on deploy (hooks API), a signed delivery without an `installation` field routed to
 * the token's owner and answered with the token, and the hook deleted on undeploy and disconnect.
 * Also the one-click GitHub App creation from the manifest (`/connect/github/app`).
 */
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFlow } from '@openflows/runtime';
import { examplePayload, withRepo } from '@openflows/test-support/github-webhooks';
import { Platform, WEBHOOK_SECRET } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { visibleBody } from '@openflows/test-support/github-stand-in';

const ROOT = join(__dirname, '..');
const LOGIN = 'alice-dev';
const REPO = 'tools';
const PUBLIC_URL = 'https://flows.e2e.test';

jest.setTimeout(60_000);

let platform: Platform;

const hooksOn = (repository: string, on = platform) => [...on.github.hooks.values()].filter((h) => h.repository === repository);
const flow = async (name: string) => (await platform.request('GET', `/api/flows/${name}`)).body;
const deployChat = (repo: string) => platform.deploy(join(ROOT, 'flows/github-chat'), { owner: LOGIN, repo, openai_key_name: 'openai' });

/** GitHub's `issues.opened` example as a repository webhook delivers it: no `installation` field. */
function hookIssueOpened(number: number, title: string, repo = REPO) {
  const payload = withRepo(examplePayload('issues', 'opened'), LOGIN, repo);
  delete payload.installation;
  Object.assign(payload.issue, { number, title, body: 'from a repository webhook' });
  return payload;
}

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: ['octo-org/hello'], env: { PUBLIC_URL } });
  await platform.putLlmKey('openai');
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

test('a token without admin:repo_hook, or one GitHub refuses, is 400 with the reason', async () => {
  const weak = platform.github.issuePersonalToken(LOGIN, ['repo:status', 'read:user']);
  const res = await platform.request('POST', '/api/connections/github-token', { token: weak });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 'TOKEN_SCOPE' });
  expect(res.body.message).toContain('admin:repo_hook');
  const bogus = await platform.request('POST', '/api/connections/github-token', { token: 'ghp_not-a-token' });
  expect(bogus).toMatchObject({ status: 400, body: { code: 'TOKEN_INVALID' } });
  expect((await platform.request('GET', '/api/connections')).body).toEqual([]);
});

test('connect with a token, deploy on a repo only it covers: hook created, flow running, delivery answered, undeploy deletes the hook', async () => {
  const token = platform.github.issuePersonalToken(LOGIN, ['admin:repo_hook', 'public_repo']);
  const connected = await platform.request('POST', '/api/connections/github-token', { token });
  expect(connected.status).toBe(201);
  expect(connected.body).toMatchObject({ provider: 'github', kind: 'token', account: LOGIN, status: 'active' });
  expect(JSON.stringify(connected.body)).not.toContain(token);

  const deployed = await deployChat(REPO);
  expect(deployed).toMatchObject({ status: 'running' });
  expect(deployed.reason).toBeUndefined();
  const [hook] = hooksOn(`${LOGIN}/${REPO}`);
  expect(hook).toMatchObject({
    active: true,
    events: ['issue_comment', 'issues'],
    config: { url: `${PUBLIC_URL}/webhooks/github`, content_type: 'json', secret: WEBHOOK_SECRET },
  });

  const delivery = await platform.deliver('issues', hookIssueOpened(501, 'Via hook'), { hookId: hook.id });
  expect(delivery.status).toBe(202);
  const [comment] = await waitFor('the reply through the token', () => {
    const found = platform.github.comments.filter((c) => c.issue_number === 501);
    return found.length > 0 && found;
  });
  expect(comment).toMatchObject({ owner: LOGIN, repo: REPO });
  expect(visibleBody(comment.body)).toBe('echo: Via hook\nfrom a repository webhook');

  // Redeploying the same flow keeps the one hook.
  await deployChat(REPO);
  expect(hooksOn(`${LOGIN}/${REPO}`)).toHaveLength(1);

  expect((await platform.request('DELETE', '/api/flows/github-chat')).status).toBe(204);
  expect(hooksOn(`${LOGIN}/${REPO}`)).toEqual([]);
});

test('a repository the token cannot administer stays unregistered with what to do', async () => {
  const res = await platform.deploy(join(ROOT, 'flows/github-chat'), { owner: 'someone-else', repo: 'theirs', openai_key_name: 'openai' });
  expect(res.status).toBe('unregistered');
  expect(res.reason).toContain('admin:repo_hook');
  expect(res.reason).toContain('/connect/github');
  expect(hooksOn('someone-else/theirs')).toEqual([]);
  expect((await platform.request('DELETE', '/api/flows/github-chat')).status).toBe(204);
});

test('disconnecting the token deletes its hooks and leaves the flow unregistered', async () => {
  await deployChat(REPO);
  expect(hooksOn(`${LOGIN}/${REPO}`)).toHaveLength(1);
  const [connection] = (await platform.request('GET', '/api/connections')).body.filter((c: { kind: string }) => c.kind === 'token');
  expect((await platform.request('DELETE', `/api/connections/${connection.id}`)).status).toBe(204);
  expect(hooksOn(`${LOGIN}/${REPO}`)).toEqual([]);
  expect(await flow('github-chat')).toMatchObject({ status: 'unregistered' });
});

describe('two users with a token on the same repository', () => {
  const OAUTH = { clientId: 'Iv23liE2eHooks01', clientSecret: 'e2e-oauth-client-secret' };
  const SHARED = { owner: 'octo-org', repo: 'shared' };
  let shared: Platform;
  const users: Record<'alice' | 'bob', { token: string; hookId: number }> = {} as never;

  /** `alice`'s or `bob`'s runs of `github-chat` caused by the delivery `deliveryId`. */
  const runsOf = async (user: 'alice' | 'bob', deliveryId: string) =>
    (await shared.requestAs(users[user].token, 'GET', '/api/flows/github-chat/runs')).body.filter(
      (r: { event: { deliveryId: string } }) => r.event.deliveryId === deliveryId,
    );
  const finished = (runs: { status: string }[]) => runs.length > 0 && runs.every((r) => ['succeeded', 'failed'].includes(r.status));
  const issue = (number: number, title: string) => {
    const payload = withRepo(examplePayload('issues', 'opened'), SHARED.owner, SHARED.repo);
    delete payload.installation;
    Object.assign(payload.issue, { number, title, body: 'to one hook' });
    return payload;
  };

  beforeAll(async () => {
    shared = await Platform.start({ mode: 'separate', repositories: [], oauth: OAUTH, env: { PUBLIC_URL } });
    for (const login of ['alice', 'bob'] as const) {
      const token = await shared.signIn(login);
      const githubToken = shared.github.issuePersonalToken(login, ['admin:repo_hook'], [`${SHARED.owner}/${SHARED.repo}`]);
      expect((await shared.requestAs(token, 'POST', '/api/connections/github-token', { token: githubToken })).status).toBe(201);
      const key = { value: `sk-${login}-0123456789abcdef`, baseURL: shared.llm.url, model: 'gpt-4o-mini' };
      expect((await shared.requestAs(token, 'PUT', '/api/secrets/openai', key)).status).toBe(200);
      const before = new Set(shared.github.hooks.keys());
      const { name, code } = await bundleFlow(join(ROOT, 'flows/github-chat'));
      const env = { owner: SHARED.owner, repo: SHARED.repo, openai_key_name: 'openai' };
      const deployed = await shared.requestAs(token, 'POST', '/api/flows', { name, code, env });
      expect(deployed).toMatchObject({ status: 201, body: { status: 'running' } });
      const [hookId] = [...shared.github.hooks.keys()].filter((id) => !before.has(id));
      users[login] = { token, hookId };
    }
  });

  afterAll(async () => {
    if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(shared?.output() ?? '');
    await shared?.stop();
  });

  test('each user has a hook of their own on the repository', () => {
    expect(users.alice.hookId).toBeDefined();
    expect(users.bob.hookId).toBeDefined();
    expect(users.alice.hookId).not.toBe(users.bob.hookId);
    expect(hooksOn(`${SHARED.owner}/${SHARED.repo}`, shared)).toHaveLength(2);
  });

  test("a delivery through one user's hook runs that user's flow once, and not the other's", async () => {
    const unknown = await shared.deliver('issues', issue(700, 'Nobody'), { hookId: 4_999_999 });
    const toAlice = await shared.deliver('issues', issue(701, 'For Alice'), { hookId: users.alice.hookId });
    const toBob = await shared.deliver('issues', issue(702, 'For Bob'), { hookId: users.bob.hookId });
    for (const delivery of [unknown, toAlice, toBob]) expect(delivery.status).toBe(202);

    const [aliceRun] = await waitFor("Alice's run", async () => {
      const runs = await runsOf('alice', toAlice.deliveryId);
      return finished(runs) && runs;
    });
    const [bobRun] = await waitFor("Bob's run", async () => {
      const runs = await runsOf('bob', toBob.deliveryId);
      return finished(runs) && runs;
    });
    expect(aliceRun).toMatchObject({ status: 'succeeded' });
    expect(bobRun).toMatchObject({ status: 'succeeded' });
    // The unknown hook's delivery was queued first; give its routing a moment more before looking.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await runsOf('alice', toAlice.deliveryId)).toHaveLength(1);
    expect(await runsOf('bob', toAlice.deliveryId)).toEqual([]);
    expect(await runsOf('bob', toBob.deliveryId)).toHaveLength(1);
    expect(await runsOf('alice', toBob.deliveryId)).toEqual([]);
    expect(await runsOf('alice', unknown.deliveryId)).toEqual([]);
    expect(await runsOf('bob', unknown.deliveryId)).toEqual([]);
    const comments = (n: number) => shared.github.comments.filter((c) => c.repo === SHARED.repo && c.issue_number === n);
    expect(comments(701)).toHaveLength(1);
    expect(comments(702)).toHaveLength(1);
    expect(comments(700)).toEqual([]);
  });

  test('a delivery without a repository hook id (as stored before hook ids were kept) still reaches both users', async () => {
    const legacy = await shared.deliver('issues', issue(703, 'Old style'));
    expect(legacy.status).toBe(202);
    for (const user of ['alice', 'bob'] as const) {
      await waitFor(`${user}'s run of the delivery without hook id`, async () => finished(await runsOf(user, legacy.deliveryId)));
      expect(await runsOf(user, legacy.deliveryId)).toHaveLength(1);
    }
  });
});

describe('GitHub App from the manifest', () => {
  const unescape = (html: string) =>
    html
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const appFile = () => join(platform.dataDir!, 'github-app.json');

  async function form() {
    const res = await fetch(`${platform.url}/connect/github/app?replace=1`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const action = unescape(/<form[^>]* action="([^"]+)"/.exec(html)![1]);
    const manifest = JSON.parse(unescape(/name="manifest" value="([^"]+)"/.exec(html)![1]));
    return { action: new URL(action), manifest };
  }

  test('refused while an App is configured, unless ?replace=1', async () => {
    const res = await fetch(`${platform.url}/connect/github/app`);
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('replace=1');
  });

  test('a forged state is rejected and nothing is written', async () => {
    const { action } = await form();
    const state = action.searchParams.get('state')!;
    const forged = `${state.slice(0, -4)}AAAA`;
    const res = await fetch(`${platform.url}/connect/github/app/callback?code=abc&state=${encodeURIComponent(forged)}`);
    expect(res.status).toBe(400);
    expect(existsSync(appFile())).toBe(false);
  });

  test('round trip: the manifest carries PUBLIC_URL, the conversion is stored in DATA_DIR/github-app.json with mode 0600', async () => {
    const { action, manifest } = await form();
    expect(`${action.origin}${action.pathname}`).toBe(`${platform.github.url}/settings/apps/new`);
    expect(manifest).toMatchObject({
      hook_attributes: { url: `${PUBLIC_URL}/webhooks/github` },
      redirect_url: `${PUBLIC_URL}/connect/github/app/callback`,
      setup_url: `${PUBLIC_URL}/connect/github/callback`,
      default_events: ['issues', 'issue_comment', 'pull_request'],
      default_permissions: { issues: 'write', pull_requests: 'write', metadata: 'read' },
    });
    // What GitHub does after the user confirms: redirect to redirect_url with a code and the state.
    const code = platform.github.issueManifestCode(manifest);
    const res = await fetch(
      `${platform.url}/connect/github/app/callback?code=${code}&state=${encodeURIComponent(action.searchParams.get('state')!)}`,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Restart');
    const [created] = platform.github.manifestApps;
    expect(statSync(appFile()).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(appFile(), 'utf8'))).toEqual({
      id: created.id,
      slug: created.slug,
      pem: created.pem,
      webhook_secret: created.webhook_secret,
      client_id: created.client_id,
      client_secret: created.client_secret,
    });
    // A code is good once, as on GitHub.
    const again = await fetch(
      `${platform.url}/connect/github/app/callback?code=${code}&state=${encodeURIComponent(action.searchParams.get('state')!)}`,
    );
    expect(again.status).toBe(502);
  });
});
