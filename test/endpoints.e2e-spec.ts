/**
 * HTTP endpoint flows end to end through the real api and worker processes on PostgreSQL and Redis:
 * test/fixtures/flows/endpoint-echo answers requests to `/f/<key>/…` synchronously; caller auth (bearer
 * token, HMAC of the body), the body limit, the timeout, a throwing flow, undeploy, pause, key
 * stability across redeploys and rotation; getSecret through an endpoint.
 */
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { validateOpenApi } from '@openflows/test-support/openapi-validator';
import { Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const run = promisify(execFile);
const FLOW = join(ROOT, 'test/fixtures/flows/endpoint-echo');
const MASTER_KEY = randomBytes(32).toString('base64');
const TOKEN = 'endpoint-caller-token-0123456789';
const HMAC_SECRET = 'endpoint-hmac-secret-abcdef';
const TIMEOUT_MS = 3000;
const BODY_LIMIT = 4096;

jest.setTimeout(60_000);

let platform: Platform;

/** An endpoint's URL on the platform's own address (PUBLIC_URL is `localhost`; the api listens on 127.0.0.1). */
function local(url: string): string {
  return `${platform.url}${new URL(url).pathname}`;
}

/** The endpoints `GET /api/flows/endpoint-echo` lists, by name. */
async function endpointUrls(): Promise<Record<string, string>> {
  const { status, body } = await platform.request<{ endpoints: { name: string; url: string }[] }>('GET', '/api/flows/endpoint-echo');
  expect(status).toBe(200);
  return Object.fromEntries(body.endpoints.map((e) => [e.name, e.url]));
}

/** Calls `url` + `path`; the answer's status, headers, text and JSON (when it is JSON). */
async function call(url: string, path = '/', init: RequestInit = {}) {
  const res = await fetch(`${local(url)}${path}`, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function putSecret(name: string, value: string, extra: Record<string, string> = {}): Promise<void> {
  const res = await platform.request('PUT', `/api/secrets/${name}`, { value, ...extra });
  expect(res.status).toBe(200);
}

let urls: Record<string, string>;

beforeAll(async () => {
  platform = await Platform.start({
    mode: 'separate',
    repositories: [],
    env: { MASTER_KEY, ENDPOINT_TIMEOUT_MS: String(TIMEOUT_MS), ENDPOINT_BODY_LIMIT_BYTES: String(BODY_LIMIT), RUN_PARTITIONS: '16' },
  });
  const deployed = await platform.deploy(FLOW, {});
  expect(deployed.status).toBe('running');
  urls = await endpointUrls();
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
});

describe('an endpoint answers synchronously with the flow’s response', () => {
  test('GET /api/flows/:name lists each endpoint with its own URL under /f/<key>', () => {
    expect(Object.keys(urls).sort()).toEqual(['echo', 'private', 'signed', 'tools']);
    const keys = Object.values(urls).map((url) => /^http:\/\/localhost:\d+\/f\/([A-Za-z0-9_-]{32})$/.exec(url)?.[1]);
    expect(keys.every(Boolean)).toBe(true);
    expect(new Set(keys).size).toBe(4);
  });

  test('GET with a query: the request reaches the flow as { method, path, query, headers, body }, without cookies', async () => {
    const res = await call(urls.echo, '/search?q=ai&page=2', { headers: { cookie: 'openflows_session=secret', 'x-trace': 't-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toMatchObject({ event: 'request', method: 'GET', path: '/search', query: { q: 'ai', page: '2' }, body: '' });
    expect(res.json.headers['x-trace']).toBe('t-1');
    expect(res.json.headers).not.toHaveProperty('cookie');
  });

  test('POST JSON: the body as text and parsed; the endpoint root is path /', async () => {
    const res = await call(urls.echo, '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"Zen"}' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ method: 'POST', path: '/', body: '{"title":"Zen"}', json: { title: 'Zen' } });
  });

  test("http.response: the flow's status, content type, headers and text; no cookie set; sandboxed", async () => {
    const res = await call(urls.echo, '/text');
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('x-flow')).toBe('yes');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('content-security-policy')).toBe('sandbox');
    expect(res.text).toBe('a,b\n1,2');
  });

  test('a handler that returns nothing answers 204', async () => {
    expect((await call(urls.echo, '/nothing', { method: 'DELETE' })).status).toBe(204);
  });

  test('the request is a run like any other: recorded with its event and its log', async () => {
    await call(urls.echo, '/recorded?n=1');
    const runs = await platform.runs('endpoint-echo');
    const run = runs.find((r) => r.status === 'succeeded' && r.event?.name === 'request');
    expect(run).toBeDefined();
    const detail = (await platform.request('GET', `/api/runs/${run.id}`)).body;
    expect(detail.logs.map((l: { message: string }) => l.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(GET|POST|DELETE) \//)]),
    );
  });

  test('requests to one endpoint run concurrently', async () => {
    const startedAt = Date.now();
    const answers = await Promise.all([1, 2, 3, 4].map(() => call(urls.echo, '/sleep?ms=800')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    // One after the other they would take 3.2 s at least.
    expect(Date.now() - startedAt).toBeLessThan(3000);
  });
});

describe('limits and failures', () => {
  test('a body over ENDPOINT_BODY_LIMIT_BYTES is refused with 413 before any run', async () => {
    const before = (await platform.runs('endpoint-echo')).length;
    const res = await call(urls.echo, '/big', { method: 'POST', body: 'x'.repeat(BODY_LIMIT + 1) });
    expect(res.status).toBe(413);
    expect((await platform.runs('endpoint-echo')).length).toBe(before);
  });

  test('a flow slower than ENDPOINT_TIMEOUT_MS is answered 504', async () => {
    const startedAt = Date.now();
    const res = await call(urls.echo, `/sleep?ms=${TIMEOUT_MS + 2000}`);
    expect(res.status).toBe(504);
    expect(res.json).toMatchObject({ code: 'ENDPOINT_TIMEOUT' });
    expect(Date.now() - startedAt).toBeLessThan(TIMEOUT_MS + 1500);
  });

  test('a flow that throws is answered 502 with the run id (not its error); the run failed once, its log has the error', async () => {
    const res = await call(urls.echo, '/fail');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'ENDPOINT_FAILED', details: { runId: expect.any(String) } });
    expect(res.text).not.toContain('broke on purpose');
    expect(res.text).not.toContain('index.ts');
    // The caller hears of the failure before the run's record is written.
    const run = await waitFor('the run to be recorded as failed', async () => {
      const found = (await platform.request('GET', `/api/runs/${res.json.details.runId}`)).body;
      return found.status === 'failed' || found.status === 'retrying' ? found : undefined;
    });
    expect(run).toMatchObject({ status: 'failed', attempts: 1 });
    expect(run.logs.map((l: { message: string }) => l.message)).toContain('run failed: the flow broke on purpose');
  });

  test('an unknown key is 404', async () => {
    expect((await call(`${platform.url}/f/${'x'.repeat(32)}`, '/')).status).toBe(404);
  });
});

describe('caller authentication', () => {
  test('a bearer endpoint whose secret does not exist yet answers 503 without naming it', async () => {
    const res = await call(urls.private, '/', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ code: 'NOT_CONFIGURED' });
    expect(res.text).not.toContain('echo_token');
  });

  test('bearer: refused without or with a wrong token (401), accepted with the secret; the flow never sees the token', async () => {
    await putSecret('echo_token', TOKEN);
    expect((await call(urls.private)).status).toBe(401);
    expect((await call(urls.private, '/', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    const ok = await call(urls.private, '/hello', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ path: '/hello' });
    expect(ok.json.headers).not.toHaveProperty('authorization');
    expect(ok.text).not.toContain(TOKEN);
    const secret = (await platform.request<{ name: string; lastUsedBy?: string }[]>('GET', '/api/secrets')).body.find(
      (s) => s.name === 'echo_token',
    );
    expect(secret?.lastUsedBy).toBe('endpoint-echo');
  });

  test('HMAC: refused unsigned or signed with another secret or over another body, accepted when signed', async () => {
    await putSecret('echo_hmac', HMAC_SECRET);
    const body = '{"event":"ping"}';
    const sign = (secret: string, text: string) => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
    const post = (signature?: string) =>
      call(urls.signed, '/hook', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-signature': signature } : {}) },
        body,
      });
    expect((await post()).status).toBe(401);
    expect((await post(sign('another-secret', body))).status).toBe(401);
    expect((await post(sign(HMAC_SECRET, `${body} `))).status).toBe(401);
    const ok = await post(sign(HMAC_SECRET, body));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ path: '/hook', json: { event: 'ping' } });
  });
});

describe('an endpoint with OpenAPI operations', () => {
  /** An MCP client connected to the tools endpoint's `/mcp` with `token` as its bearer token. */
  async function mcpClient(token: string): Promise<Client> {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const headers = { authorization: `Bearer ${token}` };
    await client.connect(new StreamableHTTPClientTransport(new URL(`${local(urls.tools)}/mcp`), { requestInit: { headers } }));
    return client;
  }

  test('serves its OpenAPI 3.1 document and plugin manifest without a token', async () => {
    const doc = await call(urls.tools, '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json).toMatchObject({
      openapi: '3.1.0',
      info: { title: 'Echo notes', version: '1.0.0' },
      servers: [{ url: urls.tools }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    });
    expect(Object.keys(doc.json.paths)).toEqual(['/notes/{id}', '/notes']);
    expect(doc.json.paths['/notes'].post.operationId).toBe('addNote');
    expect(await validateOpenApi(doc.json)).toEqual({ valid: true, errors: [] });
    const manifest = await call(urls.tools, '/.well-known/ai-plugin.json');
    expect(manifest.json).toMatchObject({
      schema_version: 'v1',
      name_for_human: 'Echo notes',
      auth: { type: 'user_http', authorization_type: 'bearer' },
      api: { type: 'openapi', url: `${urls.tools}/openapi.json` },
    });
    // Its operations themselves still need the token.
    expect((await call(urls.tools, '/notes/n1')).status).toBe(401);
  });

  test('an MCP client (Streamable HTTP) lists a tool per operation and calls them, each call a run of the flow', async () => {
    await putSecret('echo_token', TOKEN);
    const client = await mcpClient(TOKEN);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['getNote', 'addNote']);
      expect(tools[0].inputSchema).toEqual({
        type: 'object',
        properties: { id: { type: 'string' }, verbose: { type: 'boolean' } },
        required: ['id'],
      });
      const read = await client.callTool({ name: 'getNote', arguments: { id: 'n 1', verbose: true } });
      expect(read.isError).toBe(false);
      const echoed = JSON.parse((read.content as { type: string; text: string }[])[0].text);
      expect(echoed).toMatchObject({ method: 'GET', path: '/notes/n%201', query: { verbose: 'true' } });
      const added = await client.callTool({ name: 'addNote', arguments: { body: { text: 'hello' } } });
      expect(JSON.parse((added.content as { text: string }[])[0].text)).toMatchObject({
        method: 'POST',
        path: '/notes',
        json: { text: 'hello' },
      });
    } finally {
      await client.close();
    }
    const calls = await waitFor('the two tool calls to be recorded', async () => {
      const newest = (await platform.runs('endpoint-echo')).slice(0, 2);
      return newest.every((run) => run.status === 'succeeded') && newest;
    });
    expect(calls.map((run) => run.event.name)).toEqual(['request', 'request']);
  });

  test('MCP with a wrong token is refused', async () => {
    await expect(mcpClient('not-the-token')).rejects.toThrow(/401/);
  });
});

describe('getSecret through an endpoint', () => {
  test("a generic secret's value; an LLM key refused; an unknown name not found", async () => {
    await putSecret('listen_key', 'ln-value-0123456789');
    await putSecret('openai', 'sk-proj-abcdefghijklmnop1234', { kind: 'llm' });
    expect((await call(urls.echo, '/secret?name=listen_key')).json).toEqual({ value: 'ln-value-0123456789' });
    expect((await call(urls.echo, '/secret?name=openai')).json).toEqual({ code: 'SECRET_REFUSED' });
    expect((await call(urls.echo, '/secret?name=missing')).json).toEqual({ code: 'SECRET_NOT_FOUND' });
    for (const run of (await platform.runs('endpoint-echo')).slice(0, 3)) {
      const logs = (await platform.request('GET', `/api/runs/${run.id}`)).body.logs.map((l: { message: string }) => l.message);
      expect(logs.join('\n')).not.toContain('ln-value-0123456789');
    }
  });
});

describe('the URL across the flow’s life', () => {
  test('a redeploy keeps every URL', async () => {
    await platform.deploy(FLOW, { version: '2' });
    expect(await endpointUrls()).toEqual(urls);
    expect((await call(urls.echo, '/again')).status).toBe(200);
  });

  test('rotation gives a new URL; the old one is 404 at once', async () => {
    const res = await platform.request('POST', '/api/flows/endpoint-echo/endpoints/echo/rotate');
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('echo');
    expect(res.body.url).not.toBe(urls.echo);
    expect((await endpointUrls()).echo).toBe(res.body.url);
    expect((await call(urls.echo, '/')).status).toBe(404);
    expect((await call(res.body.url, '/')).status).toBe(200);
    expect((await platform.request('POST', '/api/flows/endpoint-echo/endpoints/nope/rotate')).body).toMatchObject({
      code: 'ENDPOINT_NOT_FOUND',
    });
    urls = await endpointUrls();
  });

  test('openflows endpoints lists the URLs; --rotate gives one a new URL', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, [CLI, 'endpoints', 'endpoint-echo', ...args], { env: { ...process.env, OPENFLOWS_URL: platform.url } });
    const listed = (await cli()).stdout;
    for (const [name, url] of Object.entries(urls)) expect(listed).toMatch(new RegExp(`${name}\\s+${url}`));
    const rotated = (await cli('--rotate', 'signed')).stdout;
    const fresh = await endpointUrls();
    expect(fresh.signed).not.toBe(urls.signed);
    expect(rotated).toContain(fresh.signed);
    urls = fresh;
  });

  test('paused: 503; resumed: answered again', async () => {
    expect((await platform.request('POST', '/api/flows/endpoint-echo/pause')).status).toBe(200);
    const paused = await call(urls.echo, '/');
    expect(paused.status).toBe(503);
    expect(paused.json).toMatchObject({ code: 'ENDPOINT_PAUSED' });
    expect((await platform.request('POST', '/api/flows/endpoint-echo/resume')).status).toBe(200);
    expect((await call(urls.echo, '/')).status).toBe(200);
  });

  test('undeployed: 404; deployed again: the same URL answers', async () => {
    expect((await platform.request('DELETE', '/api/flows/endpoint-echo')).status).toBe(204);
    expect((await call(urls.echo, '/')).status).toBe(404);
    await platform.deploy(FLOW, {});
    expect((await call(urls.echo, '/')).status).toBe(200);
  });
});
