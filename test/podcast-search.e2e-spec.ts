/**
 * The case study end to end: flows/podcast-search deployed on the real api and worker processes,
 * proxying the Listen Notes stand-in (reached through FLOW_EGRESS_ALLOW) with the key from a generic
 * secret, called over HTTP with its bearer token, described by openapi.json and the plugin manifest,
 * and called as an MCP tool. The key reaches Listen Notes only: never the caller, never a log.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleFlow } from '@openflows/runtime';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startListenNotesStandIn, type ListenNotesStandIn } from '@openflows/test-support/listen-notes-stand-in';
import { validateOpenApi } from '@openflows/test-support/openapi-validator';
import { Platform } from '@openflows/test-support/platform';

const FLOW = join(__dirname, '..', 'flows/podcast-search');
const CLI = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
const LISTEN_KEY = `ln-${randomBytes(12).toString('hex')}`;
const PLUGIN_TOKEN = `plugin-${randomBytes(12).toString('hex')}`;

jest.setTimeout(60_000);

let platform: Platform;
let listenNotes: ListenNotesStandIn;
let url: string;

/** The endpoint's URL on the api's own address (PUBLIC_URL is localhost). */
const local = (path = '') => `${platform.url}${new URL(url).pathname}${path}`;

async function get(path: string, token?: string) {
  const res = await fetch(local(path), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

/** Every log line of the flow's runs. */
async function allLogLines(): Promise<string> {
  const lines: string[] = [];
  for (const run of await platform.runs('podcast-search')) {
    const detail = (await platform.request('GET', `/api/runs/${run.id}`)).body;
    lines.push(...detail.logs.map((l: { message: string; fields?: unknown }) => `${l.message} ${JSON.stringify(l.fields ?? {})}`));
  }
  return lines.join('\n');
}

beforeAll(async () => {
  listenNotes = await startListenNotesStandIn({ apiKey: LISTEN_KEY });
  platform = await Platform.start({
    mode: 'separate',
    repositories: [],
    env: { MASTER_KEY: randomBytes(32).toString('base64'), FLOW_EGRESS_ALLOW: `127.0.0.1:${listenNotes.port}` },
  });
  for (const [name, value] of [
    ['listen_notes', LISTEN_KEY],
    ['plugin_token', PLUGIN_TOKEN],
  ]) {
    expect((await platform.request('PUT', `/api/secrets/${name}`, { value, kind: 'generic' })).status).toBe(200);
  }
  const deployed = await platform.deploy(FLOW, { podcast_key_name: 'listen_notes', listen_api_url: `${listenNotes.url}/api/v2` });
  expect(deployed.status).toBe('running');
  const view = (await platform.request('GET', '/api/flows/podcast-search')).body;
  url = view.endpoints.find((e: { name: string }) => e.name === 'podcasts').url;
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
  await listenNotes?.close();
});

test('a deploy is refused while a secret the flow declares (openflows.secrets) does not exist, naming it', async () => {
  const { name, code } = await bundleFlow(FLOW);
  const env = { podcast_key_name: 'no_such_key', listen_api_url: `${listenNotes.url}/api/v2` };
  const res = await platform.request('POST', '/api/flows', { name, code, env });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 'FLOW_INVALID' });
  expect(res.body.message).toBe(
    'missing secret: no_such_key (Your Listen Notes (PodcastAPI.com) API key); store it first (openflows secrets set <name>)',
  );
  const args = [CLI, 'deploy', FLOW, '--env', 'podcast_key_name=no_such_key', '--env', 'plugin_token_name=nor_this'];
  const cli = await promisify(execFile)(process.execPath, args, { env: { ...process.env, OPENFLOWS_URL: platform.url } }).catch(
    (error: { code: number; stderr: string }) => error,
  );
  expect(cli).toMatchObject({ code: 1 });
  expect((cli as { stderr: string }).stderr).toContain(
    'missing secrets: no_such_key (Your Listen Notes (PodcastAPI.com) API key), nor_this (',
  );
  // The live deployment is the one made with the secrets present.
  expect((await platform.request('GET', '/api/flows/podcast-search')).body).toMatchObject({ status: 'running', version: 1 });
});

test('GET /search answers Listen Notes’ results, fetched with the key in X-ListenAPI-Key', async () => {
  const before = listenNotes.requests.length;
  const res = await get('/search?q=AI&type=episode', PLUGIN_TOKEN);
  expect(res.status).toBe(200);
  expect(res.json.total).toBe(2);
  expect(res.json.results.map((r: { title: string }) => r.title)).toEqual(['AI agents that call APIs', 'Small models, big wins']);
  expect(res.json.results[0]).toMatchObject({ podcast: 'Machine Minds Weekly', publisher: 'OpenFlows Test Studio' });
  const [sent] = listenNotes.requests.slice(before);
  expect(sent).toMatchObject({ path: '/api/v2/search', query: { q: 'AI', type: 'episode' } });
  expect(sent.headers['x-listenapi-key']).toBe(LISTEN_KEY);
  expect(res.text).not.toContain(LISTEN_KEY);
});

test('podcasts rather than episodes with type=podcast', async () => {
  const res = await get('/search?q=gardening&type=podcast', PLUGIN_TOKEN);
  expect(res.json.results).toEqual([
    expect.objectContaining({ title: 'Gardening at Dawn', url: expect.stringContaining('listennotes.com/c/') }),
  ]);
});

test('callers without the plugin token are refused before the flow or Listen Notes hear of them', async () => {
  const before = listenNotes.requests.length;
  expect((await get('/search?q=AI')).status).toBe(401);
  expect((await get('/search?q=AI', 'a-guess')).status).toBe(401);
  expect(listenNotes.requests.length).toBe(before);
});

test('a key Listen Notes refuses is answered 502 by the flow, the key still unseen', async () => {
  expect((await platform.request('PUT', '/api/secrets/listen_notes', { value: 'ln-revoked-key-000000', kind: 'generic' })).status).toBe(
    200,
  );
  try {
    const res = await get('/search?q=AI', PLUGIN_TOKEN);
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ error: 'the podcast directory answered 401' });
    expect(res.text).not.toContain('ln-revoked-key');
    expect(listenNotes.requests.at(-1)?.headers['x-listenapi-key']).toBe('ln-revoked-key-000000');
  } finally {
    await platform.request('PUT', '/api/secrets/listen_notes', { value: LISTEN_KEY, kind: 'generic' });
  }
});

test('openapi.json (valid OpenAPI 3.1) and the plugin manifest describe the search for GPT Actions', async () => {
  const doc = (await get('/openapi.json')).json;
  expect(await validateOpenApi(doc)).toEqual({ valid: true, errors: [] });
  expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: 'Podcast search' }, servers: [{ url }], security: [{ bearer: [] }] });
  const search = doc.paths['/search'].get;
  expect(search.operationId).toBe('searchPodcasts');
  expect(search.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required])).toEqual([
    ['q', true],
    ['type', false],
    ['offset', false],
  ]);
  const manifest = (await get('/.well-known/ai-plugin.json')).json;
  expect(manifest).toMatchObject({
    name_for_model: 'podcast_search',
    auth: { type: 'user_http', authorization_type: 'bearer' },
    api: { type: 'openapi', url: `${url}/openapi.json` },
  });
});

test('an MCP client lists the searchPodcasts tool and calls it with the bearer token', async () => {
  const client = new Client({ name: 'e2e-assistant', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(local('/mcp')), {
    requestInit: { headers: { authorization: `Bearer ${PLUGIN_TOKEN}` } },
  });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    expect(tools).toEqual([expect.objectContaining({ name: 'searchPodcasts', inputSchema: expect.objectContaining({ required: ['q'] }) })]);
    const result = await client.callTool({ name: 'searchPodcasts', arguments: { q: 'laptop' } });
    expect(result.isError).toBe(false);
    const answer = JSON.parse((result.content as { text: string }[])[0].text);
    expect(answer.results.map((r: { title: string }) => r.title)).toEqual(['Small models, big wins']);
  } finally {
    await client.close();
  }
});

test('the Listen Notes key is in no run log and no event payload', async () => {
  expect(await allLogLines()).not.toContain(LISTEN_KEY);
  for (const run of await platform.runs('podcast-search')) {
    const detail = (await platform.request('GET', `/api/runs/${run.id}`)).body;
    expect(JSON.stringify(detail.event)).not.toContain(LISTEN_KEY);
    expect(JSON.stringify(detail.event)).not.toContain(PLUGIN_TOKEN);
  }
  expect(platform.output()).not.toContain(LISTEN_KEY);
});
