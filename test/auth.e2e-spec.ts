/**
 * Dashboard sign-in end to end through the real standalone process (PGlite) in single-user mode: the
 * API is open until the first-run page creates the local admin account; then it takes a session
 * cookie (with the CSRF token on changes) or a personal API token made on that session. Password
 * sign-in is rate-limited; pages without a session redirect to /login; Bull Board is admin-only.
 */
import { Platform, cookiesOf, type BrowserSession } from '@openflows/test-support/platform';

jest.setTimeout(60_000);

const LOGIN = 'admin';
const PASSWORD = 'correct horse battery staple';

let platform: Platform;
let session: BrowserSession;

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const page = (path: string, cookie?: string) =>
  fetch(`${platform.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });

beforeAll(async () => {
  platform = await Platform.start({ mode: 'standalone', repositories: [] });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

describe('before the first run', () => {
  test('the API is open as the local user, and the dashboard asks for the first-run page', async () => {
    expect((await platform.requestAs(undefined, 'GET', '/api/flows')).status).toBe(200);
    expect(await platform.requestAs(undefined, 'GET', '/auth/options')).toEqual({
      status: 200,
      body: { github: false, setupRequired: true, setupTokenRequired: false },
    });
    expect((await platform.requestAs(undefined, 'GET', '/auth/session')).body).toMatchObject({ statusCode: 401, code: 'NOT_SIGNED_IN' });
  });

  test('dashboard pages redirect to /login with the way back; /login and /setup do not', async () => {
    const res = await page('/flows/github-chat?tab=runs');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/flows/github-chat?tab=runs')}`);
    for (const path of ['/login', '/setup']) expect((await page(path)).status).not.toBe(302);
  });

  test('a short password is refused in plain words', async () => {
    const res = await fetch(`${platform.url}/auth/setup`, json({ login: LOGIN, password: 'short' }));
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('password: 12 to 256 characters');
  });
});

describe('first run and sessions', () => {
  test('the first-run page creates the admin account and signs it in with an httpOnly SameSite cookie', async () => {
    const res = await fetch(`${platform.url}/auth/setup`, json({ login: LOGIN, password: PASSWORD }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { user: { login: string; admin: boolean; provider: string }; csrfToken: string };
    expect(body.user).toMatchObject({ login: LOGIN, admin: true, provider: 'local' });
    const sessionCookie = res.headers.getSetCookie().find((c) => c.startsWith('openflows_session='))!;
    expect(sessionCookie).toMatch(/HttpOnly/);
    expect(sessionCookie).toMatch(/SameSite=Lax/);
    session = { cookie: cookiesOf(res), csrfToken: body.csrfToken };
  });

  test('a second setup is refused, and the options no longer ask for it', async () => {
    const res = await fetch(`${platform.url}/auth/setup`, json({ login: 'intruder', password: PASSWORD }));
    expect(res.status).toBe(409);
    expect((await platform.requestAs(undefined, 'GET', '/auth/options')).body).toEqual({
      github: false,
      setupRequired: false,
      setupTokenRequired: false,
    });
  });

  test('the API now needs credentials: none → 401, the session → 200', async () => {
    expect((await platform.requestAs(undefined, 'GET', '/api/flows')).status).toBe(401);
    expect((await platform.requestWithSession(session, 'GET', '/api/flows')).status).toBe(200);
    expect((await platform.requestWithSession(session, 'GET', '/auth/session')).body.user).toMatchObject({ login: LOGIN, admin: true });
  });

  test('a change through the session without the CSRF token is refused with 403; with it, it passes', async () => {
    const secret = { value: 'sk-dashboard-0123456789' };
    const refused = await platform.requestWithSession(session, 'PUT', '/api/secrets/openai', secret, { csrf: false });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('CSRF');
    const wrong = await platform.requestWithSession(
      { ...session, csrfToken: `${session.csrfToken}x` },
      'PUT',
      '/api/secrets/openai',
      secret,
    );
    expect(wrong.status).toBe(403);
    expect((await platform.requestWithSession(session, 'GET', '/api/secrets')).body).toEqual([]);
    expect((await platform.requestWithSession(session, 'PUT', '/api/secrets/openai', secret)).status).toBe(200);
  });

  test('a CSRF token of another session does not pass', async () => {
    const other = await fetch(`${platform.url}/auth/login`, json({ login: LOGIN, password: PASSWORD }));
    const { csrfToken } = (await other.json()) as { csrfToken: string };
    const res = await platform.requestWithSession({ ...session, csrfToken }, 'DELETE', '/api/secrets/openai');
    expect(res.status).toBe(403);
  });

  test('signed-in pages are served, not redirected', async () => {
    expect((await page('/flows', session.cookie)).status).not.toBe(302);
  });

  test('a browser reaching a connect route without a session is sent to sign in first', async () => {
    const res = await page('/connect/slack');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/connect/slack')}`);
  });

  test('connecting Slack from the dashboard: the session starts the install and the callback returns to the connections page', async () => {
    platform.slack.addTeam({ id: 'T0DASH', name: 'Dash', botUserId: 'U0DASHBOT', channels: [{ id: 'C0DASH', name: 'general' }] });
    const start = await page('/connect/slack', session.cookie);
    expect(start.status).toBe(302);
    expect((await fetch(start.headers.get('location')!)).status).toBe(200);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const callback = await page(
      `/connect/slack/callback?code=${platform.slack.issueCode('T0DASH')}&state=${encodeURIComponent(state)}`,
      session.cookie,
    );
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/connections?connected=slack');
    const connections = await platform.requestWithSession(session, 'GET', '/api/connections');
    expect(connections.body).toEqual([expect.objectContaining({ provider: 'slack', externalId: 'T0DASH', status: 'active' })]);
  });

  test('Bull Board is for admins: no session → /login, the admin session → the board', async () => {
    const anonymous = await page('/admin/queues');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/admin/queues')}`);
    const board = await page('/admin/queues', session.cookie);
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<title>Bull Dashboard</title>');
    const queues = await fetch(`${platform.url}/admin/queues/api/queues`, { headers: { cookie: session.cookie } });
    expect(((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name)).toContain('events');
  });
});

describe('API tokens made on the session', () => {
  test('created once with its value, listed without it, usable as a bearer token until revoked', async () => {
    const created = await platform.requestWithSession(session, 'POST', '/api/tokens', { name: 'laptop CLI' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^oft_/);

    const listed = await platform.requestWithSession(session, 'GET', '/api/tokens');
    expect(listed.body).toEqual([expect.objectContaining({ id: created.body.id, name: 'laptop CLI', lastUsedAt: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

    expect((await platform.requestAs(created.body.token, 'GET', '/api/secrets')).body).toEqual([
      expect.objectContaining({ name: 'openai' }),
    ]);
    expect((await platform.requestWithSession(session, 'DELETE', `/api/tokens/${created.body.id}`)).status).toBe(204);
    expect((await platform.requestAs(created.body.token, 'GET', '/api/secrets')).status).toBe(401);
    expect((await platform.requestWithSession(session, 'DELETE', `/api/tokens/${created.body.id}`)).status).toBe(404);
  });
});

describe('signing in and out', () => {
  test('sign-out needs the CSRF token, ends the session and clears the cookie', async () => {
    const login = await fetch(`${platform.url}/auth/login`, json({ login: LOGIN, password: PASSWORD }));
    expect(login.status).toBe(200);
    const body = (await login.json()) as { csrfToken: string };
    const signedIn = { cookie: cookiesOf(login), csrfToken: body.csrfToken };

    expect((await platform.requestWithSession(signedIn, 'POST', '/auth/logout', undefined, { csrf: false })).status).toBe(403);
    const out = await platform.requestWithSession(signedIn, 'POST', '/auth/logout');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().some((c) => /^openflows_session=;/.test(c))).toBe(true);
    expect((await platform.requestWithSession(signedIn, 'GET', '/api/flows')).status).toBe(401);
  });

  test('a wrong password → 401; repeated failures → 429 with Retry-After, even for the right password', async () => {
    const wrong = await fetch(`${platform.url}/auth/login`, json({ login: LOGIN, password: 'not the password at all' }));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe('wrong login or password');
    const unknown = await fetch(`${platform.url}/auth/login`, json({ login: 'nobody', password: PASSWORD }));
    expect(unknown.status).toBe(401);

    for (let i = 0; i < 4; i++) await fetch(`${platform.url}/auth/login`, json({ login: LOGIN, password: `wrong password ${i}` }));
    const limited = await fetch(`${platform.url}/auth/login`, json({ login: LOGIN, password: PASSWORD }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });
});

describe('first run where API_TOKEN is set', () => {
  const API_TOKEN = 'e2e-operator-token-0123456789';
  let guarded: Platform;

  beforeAll(async () => {
    guarded = await Platform.start({ mode: 'separate', repositories: [], env: { API_TOKEN } });
  });

  afterAll(async () => {
    await guarded?.stop();
  });

  test("only whoever knows the platform's API_TOKEN can create the account", async () => {
    expect((await guarded.requestAs(undefined, 'GET', '/auth/options')).body).toEqual({
      github: false,
      setupRequired: true,
      setupTokenRequired: true,
    });
    const post = (body: unknown) => fetch(`${guarded.url}/auth/setup`, json(body));
    for (const setupToken of [undefined, 'a-guess-at-the-api-token']) {
      const refused = await post({ login: LOGIN, password: PASSWORD, setupToken });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { code: string }).code).toBe('SETUP_TOKEN');
    }
    expect((await post({ login: LOGIN, password: PASSWORD, setupToken: API_TOKEN })).status).toBe(201);
  });
});
