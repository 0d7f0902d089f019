/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against the real api
 * and worker processes, with GitHub sign-in configured and the GitHub, Slack and OpenAI stand-ins:
 * alice signs in with GitHub, connects a Slack workspace and the GitHub App's installation, stores
 * her LLM key, deploys `flows/github-chat` from a local git repository (FLOW_SOURCES_ALLOW_LOCAL),
 * creates an API token, then a signed `issues.opened` delivery makes a run appear live on the runs
 * page and its log line appear live on the run page. Plus: no session → /login; bob gets "not found"
 * for alice's flow; a state-changing request without the CSRF header → 403; the first-run page on an
 * api without GitHub sign-in. Saves screenshots of the main pages to docs/screenshots/.
 *
 * The stand-ins' authorize pages do not redirect back by themselves: like the other e2e tests, the
 * test reads the signed `state` from the URL the browser was sent to and opens the platform's
 * callback with a code from the stand-in, as GitHub or Slack would after the user approves.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { examplePayload, withInstallation, withRepo } from '@openflows/test-support/github-webhooks';
import { startOpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { INSTALLATION_ID, INSTALLATION_MEMBER, Platform } from '@openflows/test-support/platform';
import type { PlatformProcess } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MASTER_KEY = randomBytes(32).toString('base64');
const OAUTH = { clientId: 'Iv23liDashboard01', clientSecret: 'e2e-dashboard-oauth-secret' };
const OWNER = 'octo-org';
const REPO = 'hello';
const TEAM = 'T0ACME';
const LLM_KEY = 'sk-dashboard-0123456789abcdef';
const PASSWORD = 'correct horse battery staple';

jest.setTimeout(120_000);

let platform: Platform;
let browser: Browser;
/** The platform as the browser sees it: `localhost`, the default PUBLIC_URL's host, so redirects stay same-site. */
let base: string;
let alice: BrowserContext;
let page: Page;
let repoDir: string;

/** Saves a full-page screenshot to docs/screenshots/<name>.png. */
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** A fresh browser profile (cookies, storage) at 1280 × 800. */
const newContext = (viewport = { width: 1280, height: 800 }) => browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });

/**
 * Signs in with GitHub through the dashboard: the "Sign in with GitHub" button → /auth/github → the
 * stand-in's authorize URL (signed state) → the platform's callback with a code for `login`, which
 * sets the session cookie and lands on the dashboard.
 */
async function signInWithGithub(p: Page, login: string): Promise<void> {
  await p.goto(`${base}/login`);
  await p.getByRole('link', { name: 'Sign in with GitHub' }).click();
  await p.waitForURL((url) => url.href.startsWith(platform.github.url));
  const authorize = new URL(p.url());
  const state = authorize.searchParams.get('state')!;
  const callback = authorize.searchParams.get('redirect_uri') ?? `${base}/auth/github/callback`;
  await p.goto(`${callback}?code=${platform.github.issueOAuthCode(login)}&state=${encodeURIComponent(state)}`);
  await p.waitForURL(`${base}/flows`);
  await expectText(p, login);
}

/** Waits until `text` is visible on the page. */
async function expectText(p: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
  await p.getByText(text).first().waitFor({ state: 'visible', timeout });
}

/** A local git repository holding flows/github-chat under flows/github-chat, as a user's repository would. */
function makeFlowRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openflows-dashboard-repo-'));
  cpSync(join(ROOT, 'flows', 'github-chat'), join(dir, 'flows', 'github-chat'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'e2e',
        GIT_AUTHOR_EMAIL: 'e2e@example.test',
        GIT_COMMITTER_NAME: 'e2e',
        GIT_COMMITTER_EMAIL: 'e2e@example.test',
      },
    });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'github-chat');
  return dir;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  repoDir = makeFlowRepository();
  platform = await Platform.start({
    mode: 'separate',
    repositories: [`${OWNER}/${REPO}`],
    oauth: OAUTH,
    env: { MASTER_KEY, FLOW_SOURCES_ALLOW_LOCAL: 'true' },
  });
  platform.slack.addTeam({ id: TEAM, name: 'Acme', botUserId: 'U0BOT', channels: [{ id: 'C0GENERAL', name: 'general' }] });
  base = platform.url.replace('127.0.0.1', 'localhost');
  // launch() gives every run a fresh temporary profile (user-data dir), removed on close.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  alice = await newContext();
  page = await alice.newPage();
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await browser?.close();
  await platform?.stop();
  if (repoDir) rmSync(repoDir, { recursive: true, force: true });
});

describe('signing in', () => {
  test('without a session every page sends the browser to /login, which offers GitHub sign-in', async () => {
    const anonymous = await newContext();
    try {
      const p = await anonymous.newPage();
      await p.goto(`${base}/flows/github-chat`);
      await p.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/flows/github-chat');
      await p.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
      await shot(p, 'login');
      const api = await anonymous.request.get(`${base}/api/flows`);
      expect(api.status()).toBe(401);
    } finally {
      await anonymous.close();
    }
  });

  test('alice signs in with GitHub and lands on her (empty) flows', async () => {
    await signInWithGithub(page, 'alice');
    await expectText(page, 'No flows yet');
    await page.getByRole('link', { name: 'Deploy your first flow' }).waitFor();
  });
});

describe('connections', () => {
  test('Connect Slack runs the OAuth round trip and the workspace turns green', async () => {
    await page.goto(`${base}/connections`);
    await page.getByRole('link', { name: 'Connect Slack' }).click();
    await page.waitForURL((url) => url.href.startsWith(platform.slack.origin));
    const authorize = new URL(page.url());
    const state = authorize.searchParams.get('state')!;
    const callback = authorize.searchParams.get('redirect_uri') ?? `${base}/connect/slack/callback`;
    await page.goto(`${callback}?code=${platform.slack.issueCode(TEAM)}&state=${encodeURIComponent(state)}`);
    await page.waitForURL(`${base}/connections?connected=slack`);
    await expectText(page, 'Slack is connected');
    const slack = page.locator('[data-provider="slack"]');
    await slack.getByText('Acme').waitFor();
    await slack.getByText('connected', { exact: true }).waitFor();
  });

  test('Connect GitHub installs the App (Setup URL callback) and the installation turns green', async () => {
    await page.getByRole('link', { name: 'Connect GitHub' }).click();
    await page.waitForURL((url) => url.href.startsWith(platform.github.url));
    const state = new URL(page.url()).searchParams.get('state')!;
    await page.goto(
      `${base}/connect/github/callback?installation_id=${INSTALLATION_ID}&setup_action=install&state=${encodeURIComponent(state)}`,
    );
    // The platform checks with GitHub that she may use the installation: GitHub's authorize page, then back with a code.
    await page.waitForURL((url) => url.href.startsWith(`${platform.github.url}/login/oauth/authorize`));
    const claim = new URL(page.url()).searchParams.get('state')!;
    await page.goto(
      `${base}/connect/github/callback?code=${platform.github.issueOAuthCode(INSTALLATION_MEMBER)}&state=${encodeURIComponent(claim)}`,
    );
    await page.waitForURL(`${base}/connections?connected=github`);
    await expectText(page, 'GitHub is connected');
    const github = page.locator('[data-provider="github"]');
    await github.getByText(OWNER, { exact: true }).waitFor();
    await github.getByText(`${OWNER}/${REPO}`).waitFor();
    await github.getByText('connected', { exact: true }).waitFor();
  });
  test('every provider of the registry has its card; Telegram connects through its form and turns green', async () => {
    await page.goto(`${base}/connections`);
    // Asked as the signed-in browser asks it (the session cookie).
    const providers = await page.evaluate(async () => (await fetch('/api/providers')).json() as Promise<{ id: string }[]>);
    expect(providers.map((p) => p.id)).toEqual(expect.arrayContaining(['github', 'slack', 'telegram', 'lark']));
    for (const { id } of providers) await page.locator(`[data-provider="${id}"]`).waitFor();
    const token = platform.telegram.addBot({ id: 7000042, username: 'dashboard_test_bot' });
    const card = page.locator('[data-provider="telegram"]');
    await card.getByRole('button', { name: 'Connect Telegram' }).click();
    const form = card.getByRole('form', { name: 'Connect Telegram' });
    await form.locator('input[name="botToken"]').fill(token);
    await form.getByRole('button', { name: 'Connect' }).click();
    await card.getByText('dashboard_test_bot', { exact: true }).waitFor();
    await card.getByText('connected', { exact: true }).waitFor();
    expect(platform.telegram.webhook(7000042)?.url).toMatch(/\/webhooks\/telegram\/[0-9a-f-]{36}$/);
  });
});

describe('secrets and tokens', () => {
  test('alice stores her LLM key; only its last four characters are shown', async () => {
    await page.getByRole('link', { name: 'Add an LLM key' }).click();
    await page.waitForURL(`${base}/secrets?new=llm`);
    const form = page.getByRole('form', { name: 'New secret' });
    await form.getByLabel(/^Name/).fill('openai');
    await form.getByLabel(/^API key/).fill(LLM_KEY);
    await form.getByLabel(/^Base URL/).fill(platform.llm.url);
    await form.getByLabel(/^Default model/).fill('gpt-4o-mini');
    await form.getByRole('button', { name: 'Save secret' }).click();
    // Checked with the provider (GET /models with the key) before the answer: green.
    await expectText(page, /Saved openai .*the provider accepted it/);
    expect(platform.llm.requests.at(-1)).toMatchObject({ path: '/v1/models', headers: { authorization: `Bearer ${LLM_KEY}` } });
    const row = page.locator('tr[data-secret="openai"]');
    await row.getByText(`••••${LLM_KEY.slice(-4)}`).waitFor();
    await row.locator('[data-status="connected"]').waitFor();
    expect(await page.content()).not.toContain(LLM_KEY);
    await shot(page, 'secrets');
  });

  test('an API token is shown once and works as a bearer token', async () => {
    await page.goto(`${base}/tokens`);
    await page.getByLabel(/^New token name/).fill('laptop CLI');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!.trim();
    expect(token).toMatch(/^oft_[A-Za-z0-9_-]{43}$/);
    await page.locator('tr[data-token="laptop CLI"]').waitFor();
    await shot(page, 'tokens');
    expect((await platform.requestAs(token, 'GET', '/api/secrets')).body).toEqual([
      expect.objectContaining({ name: 'openai', kind: 'llm' }),
    ]);
    await page.reload();
    expect(await page.content()).not.toContain(token);
  });

  test("a key its provider refuses needs attention with the provider's error, and turns green once a check succeeds", async () => {
    const flaky = await startOpenAiStandIn({ models: false });
    try {
      flaky.failNext(503);
      await page.goto(`${base}/secrets?new=llm`);
      const form = page.getByRole('form', { name: 'New secret' });
      await form.getByLabel(/^Name/).fill('flaky');
      await form.getByLabel(/^API key/).fill('sk-flaky-0123456789');
      await form.getByLabel(/^Base URL/).fill(flaky.url);
      await form.getByRole('button', { name: 'Save secret' }).click();
      await expectText(page, /Saved flaky .*but the provider did not accept it: 503 stand-in failure 503/);

      await page.goto(`${base}/connections`);
      const card = page.locator('[data-provider="llm keys"] [data-secret="flaky"]');
      await card.getByText('needs attention').waitFor();
      await card.getByText(/503 stand-in failure 503/).waitFor();
      await card.getByRole('button', { name: 'Check again' }).click();
      await card.locator('[data-status="connected"]').waitFor();
      // The provider's error goes with the failed check (the card re-renders after its status).
      await card.getByText(/503/).waitFor({ state: 'detached' });
    } finally {
      await flaky.close();
    }
    const session = await (await alice.request.get(`${base}/auth/session`)).json();
    const deleted = await alice.request.delete(`${base}/api/secrets/flaky`, { headers: { 'x-csrf-token': session.csrfToken } });
    expect(deleted.status()).toBe(204);
  });

  test('a state-changing request with the session cookie but without X-CSRF-Token is refused with 403', async () => {
    const refused = await alice.request.post(`${base}/api/tokens`, { data: { name: 'no csrf' } });
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'CSRF' });
    const session = await (await alice.request.get(`${base}/auth/session`)).json();
    const accepted = await alice.request.post(`${base}/api/tokens`, {
      data: { name: 'with csrf' },
      headers: { 'x-csrf-token': session.csrfToken },
    });
    expect(accepted.status()).toBe(201);
  });
});

describe('deploying a flow and watching it run', () => {
  test('from a git repository: Inspect fills the variables form, Deploy builds it and it runs', async () => {
    await page.goto(`${base}/flows`);
    await page.getByRole('link', { name: 'New flow' }).click();
    await page.getByLabel('Repository URL').fill(`file://${repoDir}`);
    await page.getByLabel(/^Branch/).fill('main');
    await page.getByLabel(/^Sub-folder/).fill('flows/github-chat');
    await page.getByRole('button', { name: 'Inspect' }).click();
    await page.locator('input[name="env.owner"]').waitFor();
    expect(await page.locator('input[name="name"]').inputValue()).toBe('github-chat');
    await page.locator('input[name="env.owner"]').fill(OWNER);
    await page.locator('input[name="env.repo"]').fill(REPO);
    await page.locator('input[name="env.openai_key_name"]').fill('openai');
    await shot(page, 'new-flow');
    await page.getByRole('button', { name: 'Deploy' }).click();

    await page.waitForURL(`${base}/flows/github-chat`);
    // Built in the background; the page polls until the flow runs.
    await page.locator('.page-header [data-status="running"]').waitFor({ timeout: 90_000 });
    await page.getByText(`${OWNER}/${REPO}`).first().waitFor();
    const v1 = page.locator('li.deployment[data-version="1"]');
    await v1.getByText('live', { exact: true }).waitFor();
    // The newest version's log is open by itself once it is live; open it when it is not.
    const toggle = v1.getByRole('button', { name: /build log/i });
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await v1.locator('pre.log').waitFor();
    await shot(page, 'flow');
  });

  test('a signed delivery: the run appears live on /runs and its log line live on the run page', async () => {
    platform.llm.delay(4000); // keeps the run in progress while the browser opens its page
    await page.goto(`${base}/runs`);
    await expectText(page, 'No runs yet');
    await page.getByText('Live', { exact: true }).waitFor();

    const opened = withInstallation(withRepo(examplePayload('issues', 'opened'), OWNER, REPO), INSTALLATION_ID);
    Object.assign(opened.issue, { number: 42, title: 'Hello from the dashboard test', body: 'does it answer?' });
    expect((await platform.deliver('issues', opened)).status).toBe(202);

    // No reload: the row arrives through EventSource('/api/runs/stream').
    const row = page.locator('tr[data-run]').first();
    await row.waitFor({ timeout: 20_000 });
    await row.getByText('github-chat').waitFor();
    await shot(page, 'runs');
    await row.locator('a').first().click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.getByRole('heading', { name: /issues\.opened/ }).waitFor();
    // Written by the flow after the (delayed) LLM answer, delivered through EventSource('/api/runs/:id/stream').
    await expectText(page, /answered issue #42 with comment/, 30_000);
    await page.locator('.page-header [data-status="succeeded"]').waitFor({ timeout: 20_000 });
    platform.llm.delay(0);
    await page.locator('.json-key', { hasText: 'issue:' }).first().waitFor();
    await shot(page, 'run');
    expect(platform.github.comments).toEqual([expect.objectContaining({ owner: OWNER, repo: REPO, issue_number: 42 })]);

    // Replay the run: a new run of the same event copy, opened in place.
    const first = page.url();
    await page.getByRole('button', { name: 'Replay run' }).click();
    await page.waitForURL((url) => url.href !== first && /\/runs\/[^/]+$/.test(url.pathname));
    await expectText(page, 'Replay of');
  });

  test('on a phone the navigation folds into a menu and tables become cards', async () => {
    const phone = await newContext({ width: 390, height: 844 });
    try {
      await phone.addCookies(await alice.cookies());
      const p = await phone.newPage();
      await p.goto(`${base}/flows/github-chat`);
      await p.locator('.page-header [data-status="running"]').waitFor();
      expect(await p.getByRole('link', { name: 'Runs', exact: true }).isVisible()).toBe(false);
      await p.getByRole('button', { name: 'Menu' }).click();
      await p.getByRole('link', { name: 'Runs', exact: true }).waitFor();
      await p.getByRole('button', { name: 'Close' }).click();
      await shot(p, 'flow-phone');
      expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    } finally {
      await phone.close();
    }
  });

  test('the flows list shows the flow running', async () => {
    await page.goto(`${base}/flows`);
    await page.locator('tr[data-flow="github-chat"] [data-status="running"]').waitFor();
    await shot(page, 'flows');
    await page.goto(`${base}/connections`);
    await page.locator('[data-provider="llm keys"]').getByText('openai', { exact: true }).waitFor();
    await page.locator('[data-provider="llm keys"] [data-secret="openai"] [data-status="connected"]').waitFor();
    await shot(page, 'connections');
  });
});

describe('owners', () => {
  test("bob signs in and gets 'not found' for alice's flow, in the page and from the API", async () => {
    const bobs = await newContext();
    try {
      const p = await bobs.newPage();
      await signInWithGithub(p, 'bob');
      await expectText(p, 'No flows yet');
      await p.goto(`${base}/flows/github-chat`);
      await p.getByRole('heading', { name: 'Not found' }).waitFor();
      expect((await bobs.request.get(`${base}/api/flows/github-chat`)).status()).toBe(404);
      await p.goto(`${base}/runs`);
      await expectText(p, 'No runs yet');
    } finally {
      await bobs.close();
    }
  });
});

describe('first run without GitHub sign-in', () => {
  let extra: { process: PlatformProcess; url: string } | undefined;
  afterAll(async () => {
    await extra?.process.stop();
  });

  test('/login points to the first-run page; the admin account it creates signs in', async () => {
    extra = await platform.startExtraApi({ GITHUB_CLIENT_ID: '', GITHUB_CLIENT_SECRET: '' });
    const local = extra.url.replace('127.0.0.1', 'localhost');
    const context = await newContext();
    try {
      const p = await context.newPage();
      await p.goto(`${local}/flows`);
      await p.waitForURL(/\/login/);
      await p.getByRole('link', { name: 'Create the admin account' }).click();
      await p.waitForURL(`${local}/setup`);
      await p.getByLabel(/^Login/).fill('admin');
      await p.getByLabel(/^Password at least/).fill(PASSWORD);
      await p.getByLabel(/^Password again/).fill(PASSWORD);
      await shot(p, 'setup');
      await p.getByRole('button', { name: 'Create account and sign in' }).click();
      await p.waitForURL(`${local}/flows`);
      await expectText(p, 'No flows yet');
      await shot(p, 'flows-empty');

      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.waitForURL((url) => url.pathname === '/login');
      await p.getByLabel(/^Login/).fill('admin');
      await p.getByLabel(/^Password/).fill('not the password');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await expectText(p, 'do not match');
      await p.getByLabel(/^Password/).fill(PASSWORD);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(`${local}/flows`);
      await expectText(p, 'admin');
    } finally {
      await context.close();
    }
  });
});
