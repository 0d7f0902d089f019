/**
 * Proves the GitHub stand-in and webhook helpers with the real clients: @octokit/app + @octokit/rest
 * talk to the stand-in exactly as they would to api.github.com.
 */
import { sign } from 'node:crypto';
import { generateAppKeys, startGithubStandIn, type GithubStandIn } from './github-stand-in';
import { examplePayload, requireEsm, signedDelivery, webhooksMethodsModule, withInstallation, withRepo } from './github-webhooks';

const { App } = requireEsm<typeof import('@octokit/app')>('@octokit/app');
const { Octokit } = requireEsm<typeof import('@octokit/rest')>('@octokit/rest');

describe('GitHub stand-in', () => {
  const appId = 424242;
  const keys = generateAppKeys();
  let standIn: GithubStandIn;
  const quiet = { debug() {}, info() {}, warn() {}, error() {} }; // for requests expected to fail
  const appFor = (privateKey: string, log?: typeof quiet) =>
    new App({ appId, privateKey, log, Octokit: Octokit.defaults({ baseUrl: standIn.url }) });

  beforeAll(async () => {
    standIn = await startGithubStandIn({ appId, publicKeyPem: keys.publicKeyPem, appSlug: 'openflows-e2e' });
    standIn.installations.set(77, {
      account: 'octo-org',
      repository_selection: 'selected',
      repositories: ['octo-org/hello'],
    });
  });
  afterAll(() => standIn.close());

  it('issues keys in the PKCS#1 format GitHub uses', () => {
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  });

  it('answers GET /app to the app JWT', async () => {
    const { data, headers } = await appFor(keys.privateKeyPem).octokit.request('GET /app');
    expect(data).toMatchObject({ id: appId, slug: 'openflows-e2e', owner: { login: 'openflows' } });
    expect(headers['x-github-request-id']).toBeTruthy();
    expect(standIn.requests.at(-1)?.headers.authorization).toMatch(/^bearer ey/i);
  });

  it('comments through an installation token', async () => {
    const octokit = await appFor(keys.privateKeyPem).getInstallationOctokit(77);
    const { status, data } = await octokit.rest.issues.createComment({
      owner: 'octo-org',
      repo: 'hello',
      issue_number: 5,
      body: 'Hello from a flow',
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({ body: 'Hello from a flow', user: { login: 'openflows-e2e[bot]', type: 'Bot' } });
    expect(standIn.comments).toEqual([
      { owner: 'octo-org', repo: 'hello', issue_number: 5, body: 'Hello from a flow', id: data.id, created_at: expect.any(String) },
    ]);
    const tokenRequest = standIn.requests.find((r) => r.path === '/app/installations/77/access_tokens');
    expect(standIn.requests.at(-1)?.headers.authorization).toMatch(/^token ghs_\w{36}$/);
    expect(tokenRequest?.method).toBe('POST');
  });

  it("lists an installation's repositories to its token, in pages Octokit's paginate follows", async () => {
    const repositories = Array.from({ length: 5 }, (_, i) => `octo-labs/repo-${i}`);
    standIn.installations.set(78, { account: 'octo-labs', repository_selection: 'all', repositories });
    const octokit = await appFor(keys.privateKeyPem).getInstallationOctokit(78);

    const first = await octokit.request('GET /installation/repositories', { per_page: 2 });
    expect(first.data).toMatchObject({ total_count: 5, repository_selection: 'all' });
    expect(first.data.repositories.map((r) => r.full_name)).toEqual(['octo-labs/repo-0', 'octo-labs/repo-1']);
    expect(first.data.repositories[0]).toMatchObject({ owner: { login: 'octo-labs' }, url: `${standIn.url}/repos/octo-labs/repo-0` });
    expect(first.headers.link).toBe(
      `<${standIn.url}/installation/repositories?per_page=2&page=2>; rel="next", <${standIn.url}/installation/repositories?per_page=2&page=3>; rel="last"`,
    );
    const all = await octokit.paginate('GET /installation/repositories', { per_page: 2 });
    expect(all.map((r) => r.full_name)).toEqual(repositories);

    const unknownToken = await fetch(`${standIn.url}/installation/repositories`, { headers: { authorization: 'token ghs_not-issued' } });
    expect(unknownToken.status).toBe(401);
  });

  it('finds the installation covering a repository, 404 otherwise', async () => {
    const app = appFor(keys.privateKeyPem, quiet);
    const { data } = await app.octokit.request('GET /repos/{owner}/{repo}/installation', {
      owner: 'octo-org',
      repo: 'hello',
    });
    expect(data).toMatchObject({ id: 77, account: { login: 'octo-org' }, repository_selection: 'selected' });
    await expect(app.octokit.request('GET /repos/{owner}/{repo}/installation', { owner: 'octo-org', repo: 'other' })).rejects.toMatchObject(
      { status: 404 },
    );
  });

  it('rejects a JWT signed with another key with 401', async () => {
    const wrong = appFor(generateAppKeys().privateKeyPem, quiet);
    await expect(wrong.octokit.request('GET /app')).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'A JSON web token could not be decoded' } },
    });
  });

  it("answers an expired JWT with GitHub's clock-skew message, which @octokit/auth-app retries on", async () => {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 700, exp: now - 100, iss: appId })}`;
    const jwt = `${unsigned}.${sign('sha256', Buffer.from(unsigned), keys.privateKeyPem).toString('base64url')}`;
    const res = await fetch(`${standIn.url}/app`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/'Expiration time' claim \('exp'\) must be a numeric value/);
  });

  it('rejects tokens it did not issue, and answers unknown routes 404', async () => {
    const res = await fetch(`${standIn.url}/repos/octo-org/hello/issues/1/comments`, {
      method: 'POST',
      headers: { authorization: 'token ghs_madeup' },
      body: '{"body":"x"}',
    });
    expect(res.status).toBe(401);
    const notFound = await fetch(`${standIn.url}/nope`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ message: 'Not Found', documentation_url: expect.any(String) });
  });
});

describe('GitHub webhook helpers', () => {
  it('returns published example payloads, retargeted', () => {
    const payload = withInstallation(withRepo(examplePayload('issue_comment', 'created'), 'octo-org', 'hello'), 77);
    expect(payload.comment.body).toEqual(expect.any(String));
    expect(payload.repository.full_name).toBe('octo-org/hello');
    expect(payload.installation).toEqual({ id: 77, node_id: expect.any(String) });
    expect(() => examplePayload('issue_comment', 'pinned')).toThrow(/created, deleted, edited/);
  });

  it('signs deliveries the way GitHub does', async () => {
    const payload = examplePayload('issue_comment', 'created');
    const { headers, body } = await signedDelivery({
      event: 'issue_comment',
      payload,
      secret: 's3cret',
      deliveryId: 'd-1',
    });
    expect(headers).toMatchObject({
      'X-GitHub-Event': 'issue_comment',
      'X-GitHub-Delivery': 'd-1',
      'Content-Type': 'application/json',
    });
    expect(headers['User-Agent']).toMatch(/^GitHub-Hookshot\//);
    expect(JSON.parse(body)).toEqual(payload);
    const { verify } = webhooksMethodsModule();
    expect(await verify('s3cret', body, headers['X-Hub-Signature-256'])).toBe(true);
    expect(await verify('wrong', body, headers['X-Hub-Signature-256'])).toBe(false);
  });
});
