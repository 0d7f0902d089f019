import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EgressConfig } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { createFlowFetch, type FetchRequest, type FetchResponse } from './flow-fetch';

/** A server on a loopback address that counts the connections it gets. */
interface TestServer {
  server: Server;
  port: number;
  connections: number;
}

async function listen(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server = createServer(handler);
  const started: TestServer = { server, port: 0, connections: 0 };
  server.on('connection', () => (started.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  started.port = (server.address() as AddressInfo).port;
  return started;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 400;

let main: TestServer;
let other: TestServer;
let base: string;

beforeAll(async () => {
  // Not allowed by any test's config: a redirect there must be refused before it is connected to.
  other = await listen('127.0.0.2', (_req, res) => res.end('should never be reached'));
  main = await listen('127.0.0.1', (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const redirect = (status: number, location: string) => res.writeHead(status, { location }).end();
    const routes: Record<string, () => void> = {
      '/text': () => res.writeHead(200, { 'content-type': 'text/plain', 'x-reply': 'a' }).end('hello'),
      '/json': () => res.writeHead(201, 'Made', { 'content-type': 'application/json' }).end('{"ok":true}'),
      '/bytes': () => res.end(Buffer.from([0, 255, 1, 128])),
      '/echo': () => void readBody(req).then((body) => res.end(JSON.stringify({ method: req.method, headers: req.headers, body }))),
      '/found': () => redirect(302, '/text'),
      '/see-other': () => redirect(303, '/echo'),
      '/temporary': () => redirect(307, '/echo'),
      '/elsewhere': () => redirect(302, `http://127.0.0.2:${other.port}/text`),
      '/to-localhost': () => redirect(307, `http://localhost:${main.port}/echo`),
      '/loop': () => redirect(302, '/loop'),
      '/ftp': () => redirect(302, 'ftp://127.0.0.1/x'),
      '/huge': () => {
        // Chunked, no content-length: the limit must be enforced while streaming.
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 'x');
        for (let i = 0; i < 16; i++) res.write(chunk);
        res.end();
      },
      '/huge-declared': () => res.writeHead(200, { 'content-length': String(MAX_BYTES + 1) }).end(Buffer.alloc(MAX_BYTES + 1)),
      '/slow': () => setTimeout(() => res.end('late'), TIMEOUT_MS * 3),
    };
    (routes[path] ?? (() => res.writeHead(404).end()))();
  });
  base = `http://127.0.0.1:${main.port}`;
});

afterAll(async () => {
  for (const { server } of [main, other]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function config(overrides: Partial<EgressConfig> = {}): EgressConfig {
  return { allow: [`127.0.0.1:${main.port}`], maxRequests: 50, maxResponseBytes: MAX_BYTES, timeoutMs: TIMEOUT_MS, ...overrides };
}

/** A fetch of one run and the log lines it wrote. */
function run(overrides: Partial<EgressConfig> = {}) {
  const lines: string[] = [];
  return { fetch: createFlowFetch(config(overrides), (line) => lines.push(line)), lines };
}

const text = (response: FetchResponse) => Buffer.from(response.body, 'base64').toString('utf8');
const echoed = (response: FetchResponse) => JSON.parse(text(response)) as { method: string; headers: Record<string, string>; body: string };

async function failure(promise: Promise<unknown>): Promise<SdkError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SdkError);
  return error as SdkError;
}

describe('createFlowFetch', () => {
  it('answers text with status, headers and a base64 body, and logs one line without the query', async () => {
    const { fetch, lines } = run();
    const response = await fetch({ url: `${base}/text?token=secret#part` });
    expect(response).toMatchObject({ url: `${base}/text?token=secret`, status: 200, statusText: 'OK', redirected: false });
    expect(text(response)).toBe('hello');
    expect(response.headers).toEqual(
      expect.arrayContaining([
        ['content-type', 'text/plain'],
        ['x-reply', 'a'],
      ]),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^fetch GET 127\\.0\\.0\\.1:${main.port} 200 \\d+ ms$`));
  });

  it('answers JSON and bytes as they were sent', async () => {
    const { fetch } = run();
    const json = await fetch({ url: `${base}/json` });
    expect({ status: json.status, statusText: json.statusText, body: JSON.parse(text(json)) as unknown }).toEqual({
      status: 201,
      statusText: 'Made',
      body: { ok: true },
    });
    expect(Buffer.from((await fetch({ url: `${base}/bytes` })).body, 'base64')).toEqual(Buffer.from([0, 255, 1, 128]));
  });

  it('sends the method, headers and body the flow set, plus a default user-agent only', async () => {
    const { fetch, lines } = run();
    const posted = echoed(
      await fetch({
        url: `${base}/echo`,
        method: 'post',
        headers: [
          ['X-Token', 'a'],
          ['x-token', 'b'],
        ],
        body: 'hi there',
      }),
    );
    expect(posted.method).toBe('POST');
    expect(posted.body).toBe('hi there');
    expect(posted.headers).toMatchObject({ 'x-token': 'a, b', 'user-agent': 'openflows-flow', 'content-length': '8' });
    expect(Object.keys(posted.headers).sort()).toEqual(['connection', 'content-length', 'host', 'user-agent', 'x-token']);
    const bytes = echoed(
      await fetch({ url: `${base}/echo`, method: 'PUT', headers: [['user-agent', 'mine']], body: 'aGk=', bodyEncoding: 'base64' }),
    );
    expect(bytes).toMatchObject({ method: 'PUT', body: 'hi', headers: { 'user-agent': 'mine' } });
    expect(lines[0]).toMatch(/^fetch POST 127\.0\.0\.1:\d+ 200 \d+ ms$/);
  });

  it('follows redirects: 302 and 303 as a GET without body, 307 keeping method and body', async () => {
    const { fetch, lines } = run();
    const found = await fetch({ url: `${base}/found` });
    expect(found).toMatchObject({ url: `${base}/text`, status: 200, redirected: true });
    expect(text(found)).toBe('hello');
    const seeOther = echoed(
      await fetch({ url: `${base}/see-other`, method: 'POST', headers: [['content-type', 'text/plain']], body: 'x' }),
    );
    expect(seeOther).toMatchObject({ method: 'GET', body: '' });
    expect(seeOther.headers['content-type']).toBeUndefined();
    expect(echoed(await fetch({ url: `${base}/temporary`, method: 'POST', body: 'kept' }))).toMatchObject({ method: 'POST', body: 'kept' });
    expect(lines).toHaveLength(3);
  });

  it('drops credentials when a redirect leads to another origin', async () => {
    const { fetch } = run({ allow: [`127.0.0.1:${main.port}`, `localhost:${main.port}`] });
    const headers: [string, string][] = [
      ['authorization', 'Bearer secret'],
      ['cookie', 'a=b'],
      ['x-kept', 'yes'],
    ];
    const response = await fetch({ url: `${base}/to-localhost`, method: 'POST', headers, body: 'b' });
    expect(response.url).toBe(`http://localhost:${main.port}/echo`);
    const { headers: sent } = echoed(response);
    expect(sent).toMatchObject({ 'x-kept': 'yes' });
    expect(sent.authorization).toBeUndefined();
    expect(sent.cookie).toBeUndefined();
  });

  it('refuses a redirect to an address the policy refuses, before connecting to it', async () => {
    const { fetch, lines } = run();
    const error = await failure(fetch({ url: `${base}/elsewhere` }));
    expect(error.code).toBe('EGRESS_REFUSED');
    expect(error.message).toBe('fetch refused: 127.0.0.2 is a loopback address');
    expect(other.connections).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^fetch GET 127\\.0\\.0\\.1:${main.port} EGRESS_REFUSED \\d+ ms$`));
  });

  it('refuses a name that resolves to a refused address, without connecting (the lookup checks it)', async () => {
    const before = main.connections;
    const error = await failure(run().fetch({ url: `http://localhost:${main.port}/text` }));
    expect(error.code).toBe('EGRESS_REFUSED');
    expect(error.message).toMatch(/^fetch refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
    expect(main.connections).toBe(before);
  });

  it.each([
    ['http://10.0.0.1/', '10.0.0.1 is a private address'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a cloud metadata address'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254 is a cloud metadata address'],
    ['http://[::ffff:10.0.0.1]/', '::ffff:a00:1 is a private address (10.0.0.1 in IPv6 form)'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal is a cloud metadata address'],
    ['https://100.64.0.1/', '100.64.0.1 is a carrier-grade NAT address'],
    ['http://[fe80::1]/', 'fe80::1 is a link-local address'],
  ])('refuses %s before any connection', async (url, why) => {
    const started = performance.now();
    const error = await failure(run().fetch({ url }));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'EGRESS_REFUSED', message: `fetch refused: ${why}` });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('limits the requests of one run', async () => {
    const { fetch, lines } = run({ maxRequests: 2 });
    await fetch({ url: `${base}/found` }); // a redirect followed is still one request
    await fetch({ url: `${base}/text` });
    const error = await failure(fetch({ url: `${base}/text` }));
    expect(error).toMatchObject({ code: 'LIMIT_FETCH', message: 'a run may make at most 2 fetch requests' });
    expect(lines[2]).toMatch(new RegExp(`^fetch GET 127\\.0\\.0\\.1:${main.port} LIMIT_FETCH \\d+ ms$`));
    // Another run starts afresh.
    await expect(run({ maxRequests: 2 }).fetch({ url: `${base}/text` })).resolves.toMatchObject({ status: 200 });
  });

  it.each(['/huge', '/huge-declared'])('stops reading %s past the response size limit', async (path) => {
    const error = await failure(run().fetch({ url: `${base}${path}` }));
    expect(error).toMatchObject({ code: 'LIMIT_FETCH', message: `the response body is larger than ${MAX_BYTES} bytes` });
  });

  it('times out a slow answer', async () => {
    const { fetch, lines } = run();
    const started = performance.now();
    const error = await failure(fetch({ url: `${base}/slow` }));
    expect(error).toMatchObject({ code: 'FETCH_FAILED', message: `fetch to 127.0.0.1:${main.port} timed out after ${TIMEOUT_MS} ms` });
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS * 2);
    expect(lines[0]).toMatch(/ FETCH_FAILED \d+ ms$/);
  });

  it.each<[string, FetchRequest, string]>([
    ['a non-http URL', { url: 'file:///etc/passwd' }, 'only http: and https: URLs can be fetched, not file:'],
    ['a redirect to a non-http URL', { url: '/ftp' }, 'only http: and https: URLs can be fetched, not ftp:'],
    ['endless redirects', { url: '/loop' }, 'more than 5 redirects'],
    [
      'a URL with credentials',
      { url: 'http://user:pw@127.0.0.1/' },
      'URLs with credentials cannot be fetched; send an authorization header',
    ],
    ['not a URL', { url: 'nope' }, 'not a valid URL'],
    ['a forbidden method', { url: '/text', method: 'CONNECT' }, 'CONNECT is not a method fetch can send'],
    ['a GET with a body', { url: '/text', body: 'x' }, 'a GET request cannot have a body'],
    // What crosses the isolate boundary is only JSON: shapes other than the declared ones fail as plainly.
    ['a method that is not text', { url: '/text', method: 42 as unknown as string }, '42 is not a method fetch can send'],
    ['a body that is not text', { url: '/echo', method: 'POST', body: {} as unknown as string }, 'body must be a string'],
    [
      'headers that are not pairs',
      { url: '/text', headers: { a: 'b' } as unknown as [string, string][] },
      'headers must be [name, value] pairs',
    ],
    ['a header Node refuses', { url: '/text', headers: [['x-bad', 'a\nb']] }, 'Invalid character in header content'],
    ['a closed port', { url: 'http://127.0.0.1:1/' }, 'ECONNREFUSED'],
  ])('fails plainly for %s', async (_what, request, message) => {
    const url = request.url.startsWith('/') ? `${base}${request.url}` : request.url;
    const error = await failure(run({ allow: [`127.0.0.1:${main.port}`, '127.0.0.1:1'] }).fetch({ ...request, url }));
    expect(error.code).toBe('FETCH_FAILED');
    expect(error.message).toContain(message);
  });

  it('logs a dash for what it cannot name', async () => {
    const { fetch, lines } = run();
    await failure(fetch({ url: 'not a url', method: 'BAD METHOD' }));
    expect(lines).toEqual([expect.stringMatching(/^fetch - - FETCH_FAILED \d+ ms$/)]);
  });
});
