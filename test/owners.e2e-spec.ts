/**
 * Sign-in and owner scoping end to end through the real api and worker processes on PostgreSQL and
 * Redis, with GitHub sign-in configured: two users sign in through the GitHub stand-in's OAuth web
 * flow and get personal API tokens; user A connects the App's installation and deploys the issue bot
 * with A's `openai` key; user B sees none of A's flows, runs or connections, cannot replace A's key
 * by storing one of the same name, cannot claim or delete A's installation, and B's flow on a
 * repository only A's installation covers stays `unregistered` and receives none of its events.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bundleFlow } from '@openflows/runtime';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE, parseMasterKey, signState, stateKey, verifyState } from '@openflows/common';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { INSTALLATION_ID, Platform, REDIS_URL } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const MASTER_KEY = randomBytes(32).toString('base64');
const PUBLIC_URL = 'https://flows.example.test';
const OAUTH = { clientId: 'Iv23liE2eSignIn01', clientSecret: 'e2e-oauth-client-secret' };
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const OWNER = 'octo-org';
const REPO = 'hello';
const KEY_A = 'sk-alice-0123456789abcdef';
const KEY_B = 'sk-bob-fedcba9876543210';

jest.setTimeout(60_000);

let platform: Platform;
let events: Queue;
let alice: string;
let bob: string;

const signingKey = () => stateKey(parseMasterKey(MASTER_KEY));

/**
 * Starts the GitHub connect flow as `token`'s user and answers it as GitHub does: the Setup URL, then
 * the authorize page where GitHub user `login` approves.
 */
async function connectInstallation(token: string, installationId = INSTALLATION_ID, login?: string): Promise<Response> {
  return platform.connectInstallation(await platform.connectStart(token), installationId, { login });
}

/** Deploys flows/github-chat on octo-org/hello as `token`'s user. */
async function deployIssueBot(token: string) {
  const { name, code } = await bundleFlow(join(ROOT, 'flows/github-chat'));
  return platform.requestAs(token, 'POST', '/api/flows', { name, code, env: { owner: OWNER, repo: REPO, openai_key_name: 'openai' } });
}

beforeAll(async () => {
  platform = await Platform.start({
    mode: 'separate',
    repositories: [`${OWNER}/${REPO}`],
    oauth: OAUTH,
    env: { MASTER_KEY, PUBLIC_URL, API_TOKEN: ADMIN_TOKEN },
  });
  events = new Queue(EVENTS_QUEUE, { connection: { url: REDIS_URL } as never, prefix: platform.prefix });
});

afterAll(async () => {
  await events?.close();
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

describe('authentication', () => {
  test.each([
    ['no token', undefined],
    ['an unknown token', `oft_${randomBytes(32).toString('base64url')}`],
  ])('%s → 401 on the API and on the connect routes', async (_what, token) => {
    expect((await platform.requestAs(token, 'GET', '/api/flows')).status).toBe(401);
    expect((await platform.requestAs(token, 'GET', '/api/secrets')).status).toBe(401);
    expect((await platform.requestAs(token, 'POST', '/api/connect-codes')).status).toBe(401);
    for (const provider of ['github', 'slack']) {
      expect(
        (
          await fetch(`${platform.url}/connect/${provider}`, {
            redirect: 'manual',
            headers: token ? { authorization: `Bearer ${token}` } : {},
          })
        ).status,
      ).toBe(401);
    }
  });

  test('a connect route takes a one-time code, never a token in its URL; a code works once', async () => {
    // A token in a URL ends up in the browser's history: the connect routes ignore it.
    expect((await fetch(`${platform.url}/connect/github?token=${ADMIN_TOKEN}`, { redirect: 'manual' })).status).toBe(401);
    const issued = await platform.requestAs(ADMIN_TOKEN, 'POST', '/api/connect-codes');
    expect(issued).toMatchObject({ status: 201, body: { code: expect.stringMatching(/^ofc_/), expiresAt: expect.any(String) } });
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    const link = `${platform.url}/connect/github?code=${encodeURIComponent(issued.body.code)}`;
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toContain('/installations/new?state=');
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: 'CONNECT_CODE_INVALID' });
    // A browser following a dead link signs in and comes back to the route, without the code.
    const browser = await fetch(link, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/connect/github')}`);
    expect((await fetch(`${platform.url}/connect/slack?code=ofc_forged`, { redirect: 'manual' })).status).toBe(401);
  });

  test('API_TOKEN acts as the local user, who owns nothing of the signed-in users', async () => {
    expect(await platform.requestAs(ADMIN_TOKEN, 'GET', '/api/flows')).toEqual({ status: 200, body: [] });
  });
});

describe('signing in with GitHub', () => {
  test("/auth/github redirects to GitHub's authorize page with client id, callback URL and a signed state", async () => {
    const res = await fetch(`${platform.url}/auth/github`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${platform.github.url}/login/oauth/authorize`);
    expect(location.searchParams.get('client_id')).toBe(OAUTH.clientId);
    expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/github/callback`);
    expect(() => verifyState(signingKey(), 'signin', location.searchParams.get('state'))).not.toThrow();
  });

  test.each([
    ['a forged state', () => signState(stateKey(randomBytes(32)), 'signin')],
    ['an expired state', () => signState(signingKey(), 'signin', Date.now() - 11 * 60 * 1000)],
    ['a state issued for connecting GitHub', () => signState(signingKey(), 'github')],
  ])('%s is refused with 400 and no session', async (_what, state) => {
    const code = platform.github.issueOAuthCode('mallory');
    const res = await fetch(`${platform.url}/auth/github/callback?code=${code}&state=${encodeURIComponent(state())}`);
    expect(res.status).toBe(400);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(platform.github.requests.some((r) => r.path === '/login/oauth/access_token' && (r.body as any)?.code === code)).toBe(false);
  });

  test("a code GitHub does not know is refused with 400 and GitHub's description", async () => {
    const start = await fetch(`${platform.url}/auth/github`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const res = await fetch(`${platform.url}/auth/github/callback?code=not-a-code&state=${encodeURIComponent(state)}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('The code passed is incorrect or expired.');
  });

  test('two users sign in and each gets their own token; the code was exchanged with the client credentials', async () => {
    alice = await platform.signIn('alice');
    bob = await platform.signIn('bob');
    expect(alice).not.toBe(bob);
    const exchange = platform.github.requests.filter((r) => r.path === '/login/oauth/access_token').at(-1)!;
    expect(exchange.headers.accept).toBe('application/json');
    expect(exchange.body).toMatchObject({
      client_id: OAUTH.clientId,
      client_secret: OAUTH.clientSecret,
      redirect_uri: `${PUBLIC_URL}/auth/github/callback`,
    });
    expect(platform.github.requests.filter((r) => r.path === '/user').at(-1)!.headers.authorization).toMatch(/^Bearer gho_/);
    for (const token of [alice, bob]) expect(await platform.requestAs(token, 'GET', '/api/flows')).toEqual({ status: 200, body: [] });
  });

  test('the callback signs the browser in with an httpOnly SameSite session cookie and sends it to the dashboard', async () => {
    const start = await fetch(`${platform.url}/auth/github`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const code = platform.github.issueOAuthCode('carol');
    const res = await fetch(`${platform.url}/auth/github/callback?code=${code}&state=${encodeURIComponent(state)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/^openflows_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    // PUBLIC_URL is https here, so the cookie is only ever sent over TLS.
    expect(cookie).toMatch(/Secure/);

    const session = await platform.session(cookie.split(';')[0]);
    const me = await platform.requestWithSession(session, 'GET', '/auth/session');
    expect(me.body.user).toMatchObject({ login: 'carol', provider: 'github', admin: false });
    expect((await platform.requestWithSession(session, 'GET', '/admin/queues')).status).toBe(403);
  });
});

describe("owner scoping: user B cannot use user A's connection, secret name or flow", () => {
  let connectionId: string;

  test('A connects the installation; B neither sees it, nor deletes it, nor claims it', async () => {
    expect((await connectInstallation(alice)).status).toBe(200);
    const listed = (await platform.requestAs(alice, 'GET', '/api/connections')).body as { id: string; externalId: string }[];
    expect(listed.map((c) => c.externalId)).toEqual([String(INSTALLATION_ID)]);
    connectionId = listed[0].id;

    expect(await platform.requestAs(bob, 'GET', '/api/connections')).toEqual({ status: 200, body: [] });
    expect((await platform.requestAs(bob, 'DELETE', `/api/connections/${connectionId}`)).status).toBe(404);
    const claim = await connectInstallation(bob);
    expect(claim.status).toBe(409);
    expect(await claim.text()).toContain('connected by another user');
    expect((await platform.requestAs(alice, 'GET', '/api/connections')).body).toHaveLength(1);
  });

  test('claiming an installation checks with GitHub that the user may use it: a forged installation_id claims nothing', async () => {
    const EVENT_FIRST = INSTALLATION_ID + 10;
    platform.github.installations.set(EVENT_FIRST, {
      account: 'octo-labs',
      accountType: 'Organization',
      repository_selection: 'selected',
      repositories: ['octo-labs/tools'],
      members: ['alice'],
    });
    // Installed from GitHub's own page: the event records it, without an owner.
    const created = examplePayload('installation', 'created');
    Object.assign(created.installation, { id: EVENT_FIRST, repository_selection: 'selected' });
    created.installation.account.login = 'octo-labs';
    const delivered = await platform.deliver('installation', created);
    expect(delivered.status).toBe(202);
    await waitFor('the installation to be recorded', async () => (await events.getJob(delivered.body.eventId))?.isCompleted());

    // Bob names it in the Setup URL; GitHub's /user/installations for him does not list it.
    const refused = await connectInstallation(bob, EVENT_FIRST, 'bob');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(`your GitHub account cannot use installation ${EVENT_FIRST}`);
    expect(await platform.requestAs(bob, 'GET', '/api/connections')).toEqual({ status: 200, body: [] });
    const exchange = platform.github.requests.filter((r) => r.path === '/login/oauth/access_token').at(-1)!;
    expect(exchange.body).toMatchObject({ client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret });
    const listed = platform.github.requests.filter((r) => r.path.startsWith('/user/installations')).at(-1)!;
    expect(listed.headers.authorization).toMatch(/^(token|bearer) gho_/i);

    // Alice may use it: it becomes hers.
    expect((await connectInstallation(alice, EVENT_FIRST, 'alice')).status).toBe(200);
    const mine = (await platform.requestAs(alice, 'GET', '/api/connections')).body as { externalId: string }[];
    expect(mine.map((c) => c.externalId).sort()).toEqual([String(INSTALLATION_ID), String(EVENT_FIRST)].sort());
    expect(await platform.requestAs(bob, 'GET', '/api/connections')).toEqual({ status: 200, body: [] });
  });

  test("A's flow and secret; B gets 404 for the flow, an empty list, and a secret of the same name of its own", async () => {
    const secret = { baseURL: platform.llm.url, model: 'gpt-4o-mini' };
    expect((await platform.requestAs(alice, 'PUT', '/api/secrets/openai', { value: KEY_A, ...secret })).status).toBe(200);
    const deployed = await deployIssueBot(alice);
    expect(deployed).toMatchObject({ status: 201, body: { name: 'github-chat', status: 'running' } });

    expect((await platform.requestAs(bob, 'GET', '/api/flows/github-chat')).status).toBe(404);
    expect((await platform.requestAs(bob, 'GET', '/api/flows/github-chat/runs')).status).toBe(404);
    expect((await platform.requestAs(bob, 'DELETE', '/api/flows/github-chat')).status).toBe(404);
    expect(await platform.requestAs(bob, 'GET', '/api/flows')).toEqual({ status: 200, body: [] });
    expect(await platform.requestAs(bob, 'GET', '/api/secrets')).toEqual({ status: 200, body: [] });

    expect((await platform.requestAs(bob, 'PUT', '/api/secrets/openai', { value: KEY_B, ...secret })).status).toBe(200);
    expect((await platform.requestAs(bob, 'GET', '/api/secrets')).body.map((s: any) => s.last4)).toEqual([KEY_B.slice(-4)]);
    expect((await platform.requestAs(alice, 'GET', '/api/secrets')).body.map((s: any) => s.last4)).toEqual([KEY_A.slice(-4)]);
  });

  test("B's flow on a repository only A's installation covers stays unregistered", async () => {
    const deployed = await deployIssueBot(bob);
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ name: 'github-chat', status: 'unregistered' });
    expect(deployed.body.reason).toContain(`No GitHub App installation covers ${OWNER}/${REPO}`);
    expect((await platform.requestAs(alice, 'GET', '/api/flows/github-chat')).body.status).toBe('running');
  });

  test("an issue on A's repository runs A's flow alone, with A's key; B sees neither run nor event", async () => {
    const payload = withInstallation(withRepo(examplePayload('issues', 'opened'), OWNER, REPO), INSTALLATION_ID);
    Object.assign(payload.issue, { number: 4242, title: 'Whose key?', body: 'Answer with the owner key.' });
    const delivered = await platform.deliver('issues', payload);
    expect(delivered.status).toBe(202);

    const run = await waitFor('A’s run to succeed', async () => {
      const runs = (await platform.requestAs(alice, 'GET', '/api/flows/github-chat/runs')).body as any[];
      return runs.find((r) => r.eventId === delivered.body.eventId && r.status === 'succeeded');
    });
    expect(platform.github.comments.filter((c) => c.issue_number === 4242)).toHaveLength(1);
    const chats = platform.llm.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chats.length).toBeGreaterThan(0);
    expect(chats.map((r) => r.headers.authorization)).toEqual(chats.map(() => `Bearer ${KEY_A}`));

    expect(await platform.requestAs(bob, 'GET', '/api/flows/github-chat/runs')).toEqual({ status: 200, body: [] });
    expect((await platform.requestAs(bob, 'GET', `/api/runs/${run.id}`)).status).toBe(404);
    expect((await platform.requestAs(alice, 'GET', `/api/runs/${run.id}`)).status).toBe(200);
  });
});
