/**
 * Hostile flows against the real api and worker processes (PostgreSQL, Redis): a flow trying every
 * route out of its isolate (constructor chains from each SDK export, result, error and promise, stack
 * frames, imports), a flow polluting every prototype it reaches, and a flow fetching addresses the
 * egress policy must refuse. Each flow reports what it reached in an issue comment; the test reads it
 * on the GitHub stand-in.
 *
 * All flows belong to one owner (the single-user mode's local user): the bystander of the pollution
 * test is another flow of the same owner, in its own isolate.
 */
import { createServer, type Server } from 'node:http';
import { WEBHOOK_SECRET, Platform } from '@openflows/test-support/platform';
import { freePort, waitFor } from '@openflows/test-support/processes';
import { OWNER, comment, commentsOn, deployCode, finishedRun, hostileBundle } from '@openflows/test-support/hostile';
import { visibleBody } from '@openflows/test-support/github-stand-in';

jest.setTimeout(90_000);

let platform: Platform;
let privateKey: string;
const servers: Server[] = [];
/** Requests that reached the local servers the fetch flow must not reach (the redirect's target, the closed port). */
const forbiddenHits: string[] = [];
let redirectPort: number;
let closedPort: number;
let targetPort: number;

async function listen(host: string, port: number, handler: Parameters<typeof createServer>[1]): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  servers.push(server);
}

beforeAll(async () => {
  [redirectPort, closedPort, targetPort] = await Promise.all([freePort(), freePort(), freePort()]);
  await listen('127.0.0.1', redirectPort, (_req, res) => res.writeHead(302, { location: `http://127.0.0.2:${targetPort}/` }).end());
  const hit = (where: string) => (req: { url?: string }, res: { end(): void }) => (forbiddenHits.push(`${where} ${req.url}`), res.end());
  await listen('127.0.0.2', targetPort, hit(`127.0.0.2:${targetPort}`));
  await listen('127.0.0.1', closedPort, hit(`127.0.0.1:${closedPort}`));
  await listen('::1', closedPort, hit(`[::1]:${closedPort}`)).catch(() => undefined);
  platform = await Platform.start({
    mode: 'separate',
    repositories: ['escape', 'pollute', 'bystander', 'fetch'].map((repo) => `${OWNER}/${repo}`),
    env: { FLOW_EGRESS_ALLOW: `127.0.0.1:${redirectPort}`, RUN_ATTEMPTS: '1' },
  });
  privateKey = (platform as unknown as { env: Record<string, string> }).env.GITHUB_APP_PRIVATE_KEY;
  await platform.installApp();
  await platform.putLlmKey('openai');
  await deployCode(platform, 'escape', hostileBundle('escape.js'), 'escape');
  await deployCode(platform, 'pollute', hostileBundle('pollute.js'), 'pollute');
  await deployCode(platform, 'bystander', hostileBundle('bystander.js'), 'bystander');
  await deployCode(platform, 'fetch', hostileBundle('fetch.js'), 'fetch', {
    closed_port: String(closedPort),
    redirect_port: String(redirectPort),
  });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Everything the flows sent out: comments, the LLM's requests, the run logs of `flows`. */
async function everythingPosted(...flows: string[]): Promise<string> {
  const logs = [];
  for (const flow of flows) {
    for (const run of await platform.runs(flow)) logs.push((await platform.request('GET', `/api/runs/${run.id}`)).body);
  }
  return JSON.stringify([platform.github.comments, platform.github.requests, platform.llm.requests, logs]);
}

describe('escape routes', () => {
  let report: Record<string, string>;
  let posted: { moduleRequire: string; globals: string };

  beforeAll(async () => {
    const { eventId } = await comment(platform, 'escape', 1, 'try everything');
    const run = await finishedRun(platform, 'escape', eventId);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'succeeded', error: null });
    const [reply] = commentsOn(platform, 'escape', 1);
    const parsed = JSON.parse(visibleBody(reply.body)!);
    report = parsed.report;
    posted = parsed;
  });

  test.each([
    'listenToEvent.constructor',
    'log.info.constructor',
    'console.log.constructor',
    'github.issues.createComment.constructor',
    'caught SdkError.constructor.constructor',
    'caught SdkError is an SdkError',
    'store.get promise.constructor.constructor',
    'store.get promise.then.constructor',
    'chatCompletion result.constructor.constructor',
    'getPrototypeOf(github).constructor.constructor',
    'getPrototypeOf(store).constructor.constructor',
    'globalThis.process',
    'Function("return this")().process',
    'top-level this',
    'top-level this.process',
    'prepareStackTrace frames getThis/getFunction',
    "import('fs')",
    "import('node:child_process')",
    "require('fs')",
    "require('child_process')",
    "globalThis.require('fs')",
    'typeof process',
    'typeof Buffer',
    'typeof globalThis.require',
  ])('%s is blocked', (route) => {
    expect(report[route]).toMatch(/^blocked/);
  });

  test('the report covers every route, and the only require is the flow loader', () => {
    expect(Object.keys(report)).toHaveLength(24);
    expect(posted.moduleRequire).toBe('function');
    expect(posted.globals.split(' ')).not.toEqual(expect.arrayContaining(['process']));
    expect(posted.globals.split(' ')).not.toContain('Buffer');
    expect(posted.globals.split(' ')).not.toContain('require');
  });

  test('no host secret appears in anything the flow posted, logged or sent to the model', async () => {
    const everything = await everythingPosted('escape');
    expect(privateKey).toContain('PRIVATE KEY');
    for (const secret of [WEBHOOK_SECRET, privateKey, privateKey.split('\n')[1], 'PRIVATE KEY', platform.prefix]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('prototype pollution', () => {
  test('a flow polluting the prototypes of SDK results, errors and responses changes nothing outside its isolate', async () => {
    const { eventId } = await comment(platform, 'pollute', 1, 'pollute');
    const run = await finishedRun(platform, 'pollute', eventId);
    const bodies = commentsOn(platform, 'pollute', 1).map((c) => visibleBody(c.body));
    expect(bodies).toEqual([
      'about to pollute',
      'polluting: store.get result, store.get array, SdkError.prototype, Error.prototype, comment response, String.prototype',
    ]);
    // Its own outcome: failed with the error it threw, as a string (whatever its toJSON says).
    expect(run.status).toBe('failed');
    expect(typeof run.error).toBe('string');

    const flows = await platform.request('GET', '/api/flows');
    expect(flows.status).toBe(200);
    expect(flows.body.map((f: { name: string; status: string }) => [f.name, f.status]).sort()).toEqual([
      ['bystander', 'running'],
      ['escape', 'running'],
      ['fetch', 'running'],
      ['pollute', 'running'],
    ]);
    const runs = await platform.request('GET', '/api/runs');
    expect(runs.status).toBe(200);
    const list = Array.isArray(runs.body) ? runs.body : (runs.body.items ?? runs.body.runs);
    expect(list.some((r: { id: string }) => r.id === run.id)).toBe(true);
    const detail = await platform.request('GET', `/api/runs/${run.id}`);
    expect(detail.body).toMatchObject({ id: run.id, status: 'failed' });
    expect(JSON.stringify([flows.body, runs.body, detail.body])).not.toContain('pwned');

    const started = Date.now();
    const other = await comment(platform, 'bystander', 1, 'still fine?');
    await waitFor('the bystander to answer', () => commentsOn(platform, 'bystander', 1).length > 0, 2_000);
    expect(visibleBody(commentsOn(platform, 'bystander', 1)[0].body)).toBe('alive: still fine?');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await finishedRun(platform, 'bystander', other.eventId)).status).toBe('succeeded');
    expect((await fetch(`${platform.url}/health`)).status).toBe(200);
  });
});

describe('fetch under the egress policy', () => {
  test('loopback, ::1, metadata, private and redirected-to addresses are refused with EGRESS_REFUSED, before connecting', async () => {
    const { eventId } = await comment(platform, 'fetch', 1, 'fetch');
    const run = await finishedRun(platform, 'fetch', eventId);
    expect(run.status).toBe('succeeded');
    const report = JSON.parse(visibleBody(commentsOn(platform, 'fetch', 1)[0].body)!);
    const expected = Object.fromEntries(
      ['loopback', 'ipv6', 'metadata', 'private', 'redirect'].flatMap((t) => [
        [`fetch ${t}`, 'EGRESS_REFUSED'],
        [`sdk.fetch ${t}`, 'EGRESS_REFUSED'],
      ]),
    );
    expect(report).toEqual(expected);
    expect(forbiddenHits).toEqual([]);
    expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(/fetch GET 127\.0\.0\.1(:\d+)? EGRESS_REFUSED/)]));
    expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(/fetch GET 169\.254\.169\.254 EGRESS_REFUSED/)]));
    expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(/fetch GET 10\.0\.0\.1 EGRESS_REFUSED/)]));
  });
});
