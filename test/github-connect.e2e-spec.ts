/**
 * Connecting a GitHub account end to end through the real api and worker processes on PostgreSQL and
 * Redis: `/connect/github` → the App's installation page (signed state) → the Setup URL callback
 * reading the installation from the GitHub stand-in; then a flow deployed on a repository no
 * installation covers is `unregistered` until a signed `installation_repositories.added` delivery
 * covers it, after which it answers an issue.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMasterKey, signState, stateKey, verifyState } from '@openflows/common';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { APP_SLUG, Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { visibleBody } from '@openflows/test-support/github-stand-in';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const MASTER_KEY = randomBytes(32).toString('base64');
const PUBLIC_URL = 'https://flows.example.test';
const INSTALLATION = 888;
const OWNER = 'octo-labs';
/** More than one page of `GET /installation/repositories` (100 a page), one of them in mixed case. */
const REPOSITORIES = ['Octo-Labs/Docs', ...Array.from({ length: 101 }, (_, i) => `${OWNER}/repo-${String(i).padStart(3, '0')}`)];
/** The repository the flow serves; the installation does not cover it at first. */
const REPO = 'hello';

jest.setTimeout(60_000);

let platform: Platform;

const connections = async () => (await platform.request('GET', '/api/connections')).body as Record<string, any>[];
const installationRequests = () => platform.github.requests.filter((r) => r.path.startsWith(`/app/installations/${INSTALLATION}`));

/** Follows `/connect/github` and answers its redirect the way GitHub calls the Setup URL. */
async function install(setupAction = 'install', installationId = INSTALLATION): Promise<Response> {
  const start = await fetch(`${platform.url}/connect/github`, { redirect: 'manual' });
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  return fetch(
    `${platform.url}/connect/github/callback?installation_id=${installationId}&setup_action=${setupAction}&state=${encodeURIComponent(state)}`,
  );
}

/** The built `openflows` CLI against this platform; resolves with its standard output. */
const cli = async (...args: string[]) =>
  (await promisify(execFile)(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', OPENFLOWS_URL: platform.url } }))
    .stdout;

beforeAll(async () => {
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { MASTER_KEY, PUBLIC_URL } });
  platform.github.installations.set(INSTALLATION, {
    account: OWNER,
    accountType: 'Organization',
    repository_selection: 'selected',
    repositories: [...REPOSITORIES],
    permissions: { issues: 'write', metadata: 'read' },
  });
  await platform.putLlmKey('openai');
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

describe('connecting an installation', () => {
  test("/connect/github redirects to the App's installation page with a signed state", async () => {
    const res = await fetch(`${platform.url}/connect/github`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${platform.github.url}/apps/${APP_SLUG}/installations/new`);
    const state = location.searchParams.get('state');
    expect(state).toMatch(/^github\.\d+\./);
    expect(() => verifyState(stateKey(parseMasterKey(MASTER_KEY)), 'github', state)).not.toThrow();
  });

  test.each([
    ['a forged state', () => signState(stateKey(randomBytes(32)), 'github')],
    ['an expired state', () => signState(stateKey(parseMasterKey(MASTER_KEY)), 'github', Date.now() - 11 * 60 * 1000)],
    ['a state issued for Slack', () => signState(stateKey(parseMasterKey(MASTER_KEY)), 'slack')],
    ['no state', () => ''],
  ])('the callback rejects %s with 400 and stores nothing', async (_what, state) => {
    const res = await fetch(
      `${platform.url}/connect/github/callback?installation_id=${INSTALLATION}&setup_action=install&state=${encodeURIComponent(state())}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('GitHub was not connected');
    expect(installationRequests()).toEqual([]);
    expect(await connections()).toEqual([]);
  });

  test('an installation GitHub does not know is refused with 400', async () => {
    const res = await install('install', 999_999);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('GitHub knows no installation 999999 of this App');
    expect(await connections()).toEqual([]);
  });

  test('without the App configured both answer 503 with a page saying so', async () => {
    const bare = await platform.startExtraApi({ GITHUB_APP_ID: '', GITHUB_APP_PRIVATE_KEY: '' });
    try {
      for (const path of ['/connect/github', `/connect/github/callback?installation_id=${INSTALLATION}&setup_action=install&state=x`]) {
        const res = await fetch(`${bare.url}${path}`, { redirect: 'manual' });
        expect(res.status).toBe(503);
        expect(await res.text()).toContain('The GitHub App is not configured on this platform');
      }
    } finally {
      await bare.process.stop();
    }
    expect(await connections()).toEqual([]);
  });

  test('a valid callback stores the installation with all its repositories; no token in any answer', async () => {
    const res = await install();
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`GitHub account ${OWNER} connected (${REPOSITORIES.length} repositories)`);

    const listed = await connections();
    expect(listed).toEqual([
      expect.objectContaining({
        provider: 'github',
        externalId: String(INSTALLATION),
        account: OWNER,
        status: 'active',
        reason: null,
        repositories: REPOSITORIES.map((r) => r.toLowerCase()).sort(),
      }),
    ]);
    // The installation read with the App JWT, its repositories with an installation token, two pages.
    expect(installationRequests().map((r) => [r.method, r.path])).toEqual([
      ['GET', `/app/installations/${INSTALLATION}`],
      ['POST', `/app/installations/${INSTALLATION}/access_tokens`],
    ]);
    expect(installationRequests()[0].headers.authorization).toMatch(/^bearer ey/i);
    const pages = platform.github.requests.filter((r) => r.path.startsWith('/installation/repositories'));
    expect(pages.map((r) => r.path)).toEqual(['/installation/repositories?per_page=100', '/installation/repositories?per_page=100&page=2']);
    const token = pages[0].headers.authorization!.split(' ')[1];
    expect(token).toMatch(/^ghs_/);
    for (const text of [page, JSON.stringify(listed), platform.output()]) expect(text).not.toContain(token);
  });

  test('setup_action=update reads the installation again', async () => {
    platform.github.installations.get(INSTALLATION)!.repositories.push(`${OWNER}/late`);
    const res = await install('update');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`(${REPOSITORIES.length + 1} repositories)`);
    const [connection] = await connections();
    expect(connection.repositories).toContain(`${OWNER}/late`);
  });
});

describe("the App's events and the installation's permissions", () => {
  const PR_REPO = 'docs';
  const flow = async () => (await platform.request('GET', '/api/flows/pull-requests')).body;

  test('a pull_request flow is unregistered while the App does not receive the event, saying what to change on GitHub', async () => {
    platform.github.app.events = ['issues', 'issue_comment'];
    await platform.deploy(join(ROOT, 'test/fixtures/flows/pull-requests'), { owner: OWNER, repo: PR_REPO });
    expect(await flow()).toMatchObject({ status: 'unregistered', version: 1 });
    const reason = (await flow()).reason as string;
    expect(reason).toContain(`The GitHub App does not receive pull_request events, so ${OWNER}/${PR_REPO} gets none`);
    expect(reason).toContain(`${platform.github.url}/organizations/openflows/settings/apps/${APP_SLUG}/permissions`);
    expect(reason).toContain('the Pull requests permission');
    expect(reason).toContain(`an owner of ${OWNER} must then accept the new permissions`);
  });

  test('once the App subscribes and the owner accepts its new permissions (new_permissions_accepted) the flow runs', async () => {
    // GitHub's side: the App's owner adds the event and permission, the installation's owner accepts them.
    platform.github.app.events.push('pull_request');
    platform.github.app.permissions.pull_requests = 'write';
    const installation = platform.github.installations.get(INSTALLATION)!;
    installation.permissions = { ...installation.permissions, pull_requests: 'write' };
    const accepted = examplePayload('installation', 'new_permissions_accepted');
    Object.assign(accepted.installation, { id: INSTALLATION, permissions: installation.permissions });
    accepted.installation.account.login = OWNER;
    expect((await platform.deliver('installation', accepted)).status).toBe(202);
    await waitFor('the flow to be running', async () => (await flow()).status === 'running');
    expect((await connections())[0].repositories).toHaveLength(REPOSITORIES.length + 1);

    const opened = withInstallation(withRepo(examplePayload('pull_request', 'opened'), OWNER, PR_REPO), INSTALLATION);
    opened.pull_request.number = 7;
    expect((await platform.deliver('pull_request', opened)).status).toBe(202);
    await waitFor('the comment', () => platform.github.comments.some((c) => visibleBody(c.body) === 'seen #7'));
    expect((await platform.request('DELETE', '/api/flows/pull-requests')).status).toBe(204);
  });
});

describe('subscription registration', () => {
  const flowEnv = ['--env', `owner=${OWNER}`, '--env', `repo=${REPO}`, '--env', 'openai_key_name=openai'];
  const reason =
    `No GitHub App installation covers ${OWNER}/${REPO}: install the App at ${PUBLIC_URL}/connect/github, ` +
    `or connect a token with admin:repo_hook of an account that administers ${OWNER}/${REPO} (POST /api/connections/github-token)`;
  const flow = async () => (await platform.request('GET', '/api/flows/github-chat')).body;

  test('a flow on a repository no installation covers is deployed unregistered, with the install link', async () => {
    const out = await cli('deploy', join(ROOT, 'flows/github-chat'), ...flowEnv);
    expect(out).toContain('deployed github-chat v1');
    expect(out).toContain(`warning: unregistered: ${reason}`);
    expect(await flow()).toMatchObject({ status: 'unregistered', reason, version: 1 });
    expect((await flow()).subscriptions).toEqual(
      expect.arrayContaining([expect.objectContaining({ target: `${OWNER}/${REPO}`, event: 'issues', registered: false })]),
    );
    expect(await cli('flows', 'list')).toMatch(new RegExp(`github-chat\\s+unregistered\\s+v1`));
  });

  test('installation_repositories.added covering the repository makes it running, and it answers issues', async () => {
    // GitHub's side: the owner adds the repository to the installation, then GitHub delivers the event.
    platform.github.installations.get(INSTALLATION)!.repositories.push(`${OWNER}/${REPO}`);
    const added = examplePayload('installation_repositories', 'added');
    added.installation.id = INSTALLATION;
    added.installation.account.login = OWNER;
    added.repositories_added = [{ ...added.repositories_added[0], name: REPO, full_name: `${OWNER}/${REPO}` }];
    expect((await platform.deliver('installation_repositories', added)).status).toBe(202);

    await waitFor('the flow to be running', async () => (await flow()).status === 'running');
    expect((await flow()).reason).toBeUndefined();
    expect(await cli('flows', 'list')).toMatch(new RegExp(`github-chat\\s+running\\s+v1`));

    const opened = withInstallation(withRepo(examplePayload('issues', 'opened'), OWNER, REPO), INSTALLATION);
    Object.assign(opened.issue, { number: 42, title: 'Connected', body: 'does it answer?' });
    expect((await platform.deliver('issues', opened)).status).toBe(202);
    const comment = await waitFor('the reply', () => platform.github.comments.find((c) => c.repo === REPO));
    expect(comment).toMatchObject({ owner: OWNER, repo: REPO, issue_number: 42 });
    expect(visibleBody(comment.body)).toBe('echo: Connected\ndoes it answer?');
  });

  test('installation.deleted revokes the connection and the flow is unregistered again', async () => {
    const deleted = examplePayload('installation', 'deleted');
    deleted.installation.id = INSTALLATION;
    expect((await platform.deliver('installation', deleted)).status).toBe(202);

    await waitFor('the connection to be revoked', async () => (await connections())[0].status === 'revoked');
    expect((await connections())[0]).toMatchObject({ status: 'revoked', reason: 'installation_deleted' });
    await waitFor('the flow to be unregistered', async () => (await flow()).status === 'unregistered');
    expect((await flow()).reason).toBe(reason);
  });
});
