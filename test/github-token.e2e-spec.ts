/**
 * GitHub accounts connected with a token (`admin:repo_hook`) instead of the App, end to end: the
 * token checked against the stand-in's `GET /user` + `X-OAuth-Scopes`, the repository webhook the
 * platform creates on deploy (hooks API), a signed delivery without an `installation` field routed to
 * the token's owner and answered with the token, and the hook deleted on undeploy and disconnect.
 * Also the one-click GitHub App creation from the manifest (`/connect/github/app`).
 */
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { examplePayload, withRepo } from '@openflows/test-support/github-webhooks';
import { Platform, WEBHOOK_SECRET } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const LOGIN = 'alice-dev';
const REPO = 'tools';
const PUBLIC_URL = 'https://flows.e2e.test';

jest.setTimeout(60_000);

let platform: Platform;

const hooksOn = (repository: string) => [...platform.github.hooks.values()].filter((h) => h.repository === repository);
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

  const delivery = await platform.deliver('issues', hookIssueOpened(501, 'Via hook'));
  expect(delivery.status).toBe(202);
  const [comment] = await waitFor('the reply through the token', () => {
    const found = platform.github.comments.filter((c) => c.issue_number === 501);
    return found.length > 0 && found;
  });
  expect(comment).toMatchObject({ owner: LOGIN, repo: REPO, body: 'echo: Via hook\nfrom a repository webhook' });

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
      default_events: ['issues', 'issue_comment'],
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
