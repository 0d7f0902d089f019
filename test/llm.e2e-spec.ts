/**
 * The LLM surface end to end through the real api and worker processes on PostgreSQL and Redis: a
 * fixture flow in a Slack channel streams answers into a message it updates, runs a tool in its
 * isolate, makes an image and asks for structured output, all against the OpenAI stand-in (which
 * checks every request as the API would); runs carry tokens and estimated cost, the flow its daily
 * figures and monthly token budget, LLM keys their context window.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Platform } from '@openflows/test-support/platform';
import { waitFor } from '@openflows/test-support/processes';
import { channelMessage, eventCallback } from '@openflows/test-support/slack-events';
import { toneWav } from '@openflows/test-support/wav';

const ROOT = join(__dirname, '..');
const TEAM = 'T0ACME';
const GENERAL = 'C0GENERAL';
const FLOW = 'llm-slack';

jest.setTimeout(60_000);

let platform: Platform;
/** Serves `/hello.wav`, the audio flows transcribe by URL; the egress policy lets the flow reach it. */
let audio: Server;
let audioUrl: string;
const WAV = toneWav(800);

/** Sends a channel message; resolves with its ts and our event id. */
async function say(text: string) {
  const message = channelMessage(GENERAL, text);
  const res = await platform.deliverSlack(eventCallback(TEAM, message));
  expect(res.status).toBe(200);
  return { ts: message.ts, eventId: res.body.eventId as string };
}

async function finishedRun(eventId: string) {
  return waitFor(`the run of ${eventId} to finish`, async () => {
    const run = (await platform.runs(FLOW)).find((r) => r.eventId === eventId);
    return run && (run.status === 'succeeded' || run.status === 'failed') ? run : undefined;
  });
}

const repliesTo = (ts: string) => platform.slack.messages.filter((m) => m.thread_ts === ts);

beforeAll(async () => {
  audio = createServer((req, res) => {
    if (req.url !== '/hello.wav') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'audio/wav' }).end(WAV);
  });
  await new Promise<void>((resolve) => audio.listen(0, '127.0.0.1', resolve));
  const { port } = audio.address() as AddressInfo;
  audioUrl = `http://127.0.0.1:${port}/hello.wav`;
  platform = await Platform.start({ mode: 'separate', repositories: [], env: { FLOW_EGRESS_ALLOW: `127.0.0.1:${port}` } });
  platform.slack.addTeam({ id: TEAM, name: 'Acme', botUserId: 'U0BOT', channels: [{ id: GENERAL, name: 'general' }] });
  const start = await fetch(`${platform.url}/connect/slack`, { redirect: 'manual' });
  // Slack's authorize page, where the user grants the scopes the platform asks for.
  await fetch(start.headers.get('location')!);
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  const installed = await fetch(
    `${platform.url}/connect/slack/callback?code=${platform.slack.issueCode(TEAM)}&state=${encodeURIComponent(state)}`,
  );
  expect(installed.status).toBe(200);
  await platform.putLlmKey('openai');
  await platform.deploy(join(ROOT, 'test/fixtures/flows/llm-slack'), {
    workspace: TEAM,
    channel: GENERAL,
    openai_key_name: 'openai',
    throttle_ms: '0',
  });
});

afterAll(async () => {
  if (process.env.E2E_SHOW_OUTPUT) process.stdout.write(platform?.output() ?? '');
  await platform?.stop();
  audio?.close();
});

test('a streamed answer reaches Slack progressively, then whole; the run shows tokens and cost', async () => {
  platform.llm.reply(() => ({
    content: 'one two three four',
    chunks: ['one', ' two', ' three', ' four'],
    promptTokens: 1000,
    completionTokens: 500,
  }));
  const release = platform.llm.holdStream(2);
  const { ts, eventId } = await say('count to four');
  // While the provider holds its stream, the message already shows the first two pieces.
  const [placeholder] = await waitFor('the placeholder', () => repliesTo(ts).length > 0 && repliesTo(ts));
  await waitFor('a partial update', () => platform.slack.updates.some((u) => u.ts === placeholder.ts && u.text === 'one two'));
  expect(platform.slack.updates.filter((u) => u.ts === placeholder.ts).map((u) => u.text)).toEqual(['one', 'one two']);
  release();
  await waitFor('the whole answer', () => placeholder.text === 'one two three four');

  const run = await finishedRun(eventId);
  expect(run).toMatchObject({ status: 'succeeded', promptTokens: 1000, completionTokens: 500 });
  // gpt-4o-mini at $0.15 / $0.60 per million tokens.
  expect(run.costUsd).toBeCloseTo((1000 * 0.15 + 500 * 0.6) / 1e6, 12);
  const sent = platform.llm.requests.at(-1)!.body;
  expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true }, model: 'gpt-4o-mini' });
  const detail = await platform.request('GET', `/api/runs/${run.id}`);
  const logs = detail.body.logs.map((l: { message: string }) => l.message);
  expect(logs).toContain(`streamed 500 tokens into ${placeholder.ts}`);
  expect(logs).toContainEqual(
    expect.stringMatching(/^chatCompletion C0GENERAL\/[\d.]+ \(gpt-4o-mini\): 1000 prompt \+ 500 completion tokens, ~\$0\.000450/),
  );
});

test('a tool runs in the flow, its call and result go to the model and stay in the history', async () => {
  platform.llm.reply((body) => {
    const last = body.messages.at(-1)!;
    if (last.role === 'tool') return `Noted: ${JSON.parse(last.content).stored}`;
    if (body.tools) return { toolCalls: [{ name: 'remember', arguments: JSON.stringify({ fact: 'the sky is green' }) }] };
    return `you said ${body.messages.length} messages`;
  });
  const { ts, eventId } = await say('tools: remember that the sky is green');
  const [reply] = await waitFor('the answer', () => repliesTo(ts).length > 0 && repliesTo(ts));
  expect(reply.text).toBe('Noted: the sky is green');
  expect((await finishedRun(eventId)).promptTokens).toBeGreaterThan(0);
  const [first, second] = platform.llm.requests.slice(-2).map((r) => r.body);
  expect(first.tools).toEqual([
    {
      type: 'function',
      function: {
        name: 'remember',
        description: 'Stores a fact for later',
        parameters: { type: 'object', properties: { fact: { type: 'string' } }, required: ['fact'] },
      },
    },
  ]);
  expect(second.messages.slice(-2).map((m) => m.role)).toEqual(['assistant', 'tool']);
  expect(second.messages.at(-1)!.content).toBe('{"stored":"the sky is green"}');
});

test('an image and a structured answer', async () => {
  const image = await say('image: a green sky');
  const [imageReply] = await waitFor('the image link', () => repliesTo(image.ts).length > 0 && repliesTo(image.ts));
  expect(imageReply.text).toMatch(new RegExp(`^${platform.llm.url}/files/image-`));
  expect(platform.llm.requests.find((r) => r.path === '/v1/images/generations')!.body).toEqual({
    prompt: 'a green sky',
    model: 'dall-e-2',
    size: '256x256',
  });
  const imageRun = await finishedRun(image.eventId);
  expect(imageRun.costUsd).toBeCloseTo(0.016, 9);

  platform.llm.reply(() => '{"mood":"calm"}');
  const json = await say('json: I feel fine');
  const [jsonReply] = await waitFor('the structured answer', () => repliesTo(json.ts).length > 0 && repliesTo(json.ts));
  expect(jsonReply.text).toBe('mood: calm');
  expect(platform.llm.requests.at(-1)!.body.response_format).toMatchObject({
    type: 'json_schema',
    json_schema: { name: 'mood', strict: true },
  });
});

test('a transcription of audio the platform downloads under the egress policy, and embeddings', async () => {
  const voice = await say(`voice: <${audioUrl}>`);
  const [heard] = await waitFor('the transcript', () => repliesTo(voice.ts).length > 0 && repliesTo(voice.ts));
  expect(heard.text).toBe(`heard: transcribed ${WAV.length} bytes of hello.wav`);
  const upload = platform.llm.requests.find((r) => r.path === '/v1/audio/transcriptions')!.upload!;
  expect(upload.fields).toEqual({ model: 'whisper-1', response_format: 'json', language: 'en' });
  expect(upload.file!.bytes.equals(WAV)).toBe(true);
  const run = await finishedRun(voice.eventId);
  // whisper-1 at $0.006 per minute.
  expect(run.costUsd).toBeCloseTo((0.8 / 60) * 0.006, 9);

  const refused = await say(`voice: <${platform.llm.url}/files/x.png>`);
  const [notHeard] = await waitFor('the refusal', () => repliesTo(refused.ts).length > 0 && repliesTo(refused.ts));
  expect(notHeard.text).toBe('could not listen: EGRESS_REFUSED');

  const embed = await say('embed: cats | dogs');
  const [vectors] = await waitFor('the vectors', () => repliesTo(embed.ts).length > 0 && repliesTo(embed.ts));
  expect(vectors.text).toBe('vectors: 1536,1536');
});

test("the flow's daily usage, its monthly budget ending calls with BUDGET_EXCEEDED, not retried", async () => {
  const usage = await platform.request('GET', `/api/flows/${FLOW}/llm-usage?days=3`);
  expect(usage.status).toBe(200);
  expect(usage.body.days).toHaveLength(3);
  const today = usage.body.days[2];
  expect(today.date).toBe(new Date().toISOString().slice(0, 10));
  expect(today.calls).toBeGreaterThanOrEqual(4);
  expect(today.promptTokens).toBeGreaterThanOrEqual(1000);
  expect(today.costUsd).toBeGreaterThan(0.016);
  expect(usage.body).toMatchObject({ monthlyTokens: null });
  expect(usage.body.monthTokens).toBeGreaterThanOrEqual(today.promptTokens + today.completionTokens);

  expect((await platform.request('PUT', `/api/flows/${FLOW}/llm-budget`, { monthlyTokens: 0 })).status).toBe(400);
  const budget = await platform.request('PUT', `/api/flows/${FLOW}/llm-budget`, { monthlyTokens: 100 });
  expect(budget.status).toBe(200);
  expect(budget.body.monthlyTokens).toBe(100);
  const calls = platform.llm.requests.length;
  const { eventId } = await say('anything');
  const run = await finishedRun(eventId);
  expect(run).toMatchObject({ status: 'failed', attempts: 1 });
  expect(run.error).toMatch(/the flow used \d+ of its 100 LLM tokens/);
  expect(platform.llm.requests).toHaveLength(calls);

  expect((await platform.request('PUT', `/api/flows/${FLOW}/llm-budget`, { monthlyTokens: null })).body.monthlyTokens).toBeNull();
  expect((await platform.request('GET', '/api/flows/no-such-flow/llm-usage')).status).toBe(404);
});

test("an LLM key's context window is shown, editable, and holds the flow's text to it", async () => {
  const patched = await platform.request('PATCH', '/api/secrets/openai', { contextWindow: 300, promptPrice: 1, completionPrice: null });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ name: 'openai', kind: 'llm', model: 'gpt-4o-mini', contextWindow: 300, promptPrice: 1 });
  expect((await platform.request('GET', '/api/secrets')).body.find((s: { name: string }) => s.name === 'openai')).toMatchObject({
    contextWindow: 300,
  });
  expect((await platform.request('PATCH', '/api/secrets/openai', { contextWindow: 'big' })).status).toBe(400);
  expect((await platform.request('PATCH', '/api/secrets/missing', { contextWindow: 1000 })).status).toBe(404);

  const calls = platform.llm.requests.length;
  const { eventId } = await say('word '.repeat(400));
  const run = await finishedRun(eventId);
  expect(run).toMatchObject({ status: 'failed', attempts: 1 });
  expect(run.error).toMatch(/too long for model gpt-4o-mini.*context window holds 300/);
  expect(platform.llm.requests).toHaveLength(calls);
});

test("an LLM key's models, as its server lists them", async () => {
  const listed = await platform.request('GET', '/api/secrets/openai/models');
  expect(listed.status).toBe(200);
  expect(listed.body.models.map((m: { id: string }) => m.id)).toEqual([
    'dall-e-3',
    'gpt-4o',
    'gpt-4o-mini',
    'text-embedding-3-small',
    'whisper-1',
  ]);
  expect(platform.llm.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
  expect(platform.llm.requests.at(-1)!.headers.authorization).toBe('Bearer sk-test-0123456789abcdef');
  platform.llm.failNext(401);
  const refused = await platform.request('GET', '/api/secrets/openai/models');
  expect(refused).toMatchObject({
    status: 502,
    body: { code: 'VENDOR_FAILED', message: expect.stringMatching(/^the key's server answered: 401 /) },
  });
  expect((await platform.request('GET', '/api/secrets/missing/models')).status).toBe(404);
});
