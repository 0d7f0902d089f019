/**
 * The OpenAI stand-in speaks the wire format and refuses what the API refuses (see
 * openai-checks.ts), checked with raw HTTP so that no client smooths anything over.
 */
import { startOpenAiStandIn, type OpenAiStandIn } from './openai-stand-in';
import { toneWav } from './wav';

let llm: OpenAiStandIn;

beforeAll(async () => {
  llm = await startOpenAiStandIn({ apiKey: 'sk-stand-in' });
});

afterAll(async () => {
  await llm.close();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${llm.url}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-stand-in', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

const user = [{ role: 'user', content: 'hi' }];

test.each([
  [{ model: 'm', messages: user, temprature: 1 }, 'Unrecognized request argument supplied: temprature'],
  [{ messages: user }, "Missing required parameter: 'model'."],
  [{ model: 'm', messages: user, temperature: 3 }, "Invalid 'temperature': decimal above maximum value"],
  [{ model: 'm', messages: user, stop: ['a', 'b', 'c', 'd', 'e'] }, "Invalid 'stop': array too long"],
  [
    { model: 'm', messages: user, stream_options: { include_usage: true } },
    "'stream_options' parameter is only allowed when 'stream' is enabled",
  ],
  [{ model: 'm', messages: user, tool_choice: 'auto' }, "'tool_choice' is only allowed when 'tools' are specified"],
  [
    { model: 'm', messages: [...user, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] },
    "messages with role 'tool' must be a response",
  ],
  [
    {
      model: 'm',
      messages: [
        ...user,
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ],
    },
    'The following tool_call_ids did not have response messages: call_1',
  ],
  [{ model: 'm', messages: user, response_format: { type: 'json_object' } }, "must contain the word 'json'"],
  [{ model: 'o3-mini', messages: user, max_tokens: 5 }, "Use 'max_completion_tokens' instead"],
])('chat completions refuse %j', async (body, message) => {
  const res = await post('/chat/completions', body);
  expect(res.status).toBe(400);
  expect(JSON.parse(res.text)).toEqual({
    error: { message: expect.stringContaining(message), type: 'invalid_request_error', param: expect.anything(), code: null },
  });
});

test('a bad key is 401 invalid_api_key, an unknown path 404', async () => {
  const refused = await post('/chat/completions', { model: 'm', messages: user }, { authorization: 'Bearer sk-other' });
  expect(refused.status).toBe(401);
  expect(JSON.parse(refused.text).error.code).toBe('invalid_api_key');
  expect((await post('/completions', {})).status).toBe(404);
});

test('a stream is data: lines of chat.completion.chunk, tool calls in pieces, the usage chunk, then [DONE]', async () => {
  llm.reply(() => ({ content: 'Hi there', toolCalls: [{ name: 'look', arguments: '{"query":"weather in Paris"}' }] }));
  const tools = [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }];
  const res = await post('/chat/completions', { model: 'm', messages: user, tools, stream: true, stream_options: { include_usage: true } });
  expect(res.type).toMatch(/^text\/event-stream/);
  const events = res.text.split('\n\n').filter(Boolean);
  expect(events.every((event) => event.startsWith('data: '))).toBe(true);
  expect(events.at(-1)).toBe('data: [DONE]');
  const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice(6)));
  expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
  expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  expect(text).toBe('Hi there');
  const args = chunks
    .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
    .map((t) => t.function.arguments)
    .join('');
  expect(args).toBe('{"query":"weather in Paris"}');
  expect(chunks.at(-2).choices[0].finish_reason).toBe('tool_calls');
  expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1, total_tokens: expect.any(Number) } });
  llm.reply((body) => `echo: ${body.messages.at(-1)!.content}`);
});

test('transcriptions take a multipart upload of a real audio file and refuse other files', async () => {
  const upload = (file: Blob, name: string, fields: Record<string, string> = { model: 'whisper-1' }) => {
    const form = new FormData();
    form.set('file', file, name);
    for (const [key, value] of Object.entries(fields)) form.set(key, value);
    return fetch(`${llm.url}/audio/transcriptions`, { method: 'POST', headers: { authorization: 'Bearer sk-stand-in' }, body: form });
  };
  const wav = new Blob([toneWav(500)], { type: 'audio/wav' });
  const ok = await upload(wav, 'hi.wav');
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({
    text: `transcribed ${toneWav(500).length} bytes of hi.wav`,
    usage: { type: 'duration', seconds: 0.5 },
  });
  expect((await upload(new Blob(['not audio']), 'note.wav')).status).toBe(400);
  expect((await upload(wav, 'hi.txt')).status).toBe(400);
  expect((await upload(wav, 'hi.wav', {})).status).toBe(400);
  expect((await upload(wav, 'hi.wav', { model: 'whisper-1', speed: '2' })).status).toBe(400);
});

test('images, embeddings and models answer in the API shapes', async () => {
  const image = JSON.parse((await post('/images/generations', { prompt: 'a dot', n: 2, response_format: 'b64_json' })).text);
  expect(image.data.map((d: { b64_json: string }) => Buffer.from(d.b64_json, 'base64').subarray(1, 4).toString())).toEqual(['PNG', 'PNG']);
  expect((await post('/images/generations', { prompt: 'a dot', model: 'dall-e-3', n: 2 })).status).toBe(400);
  expect((await post('/images/generations', { prompt: 'a dot', size: '100x100' })).status).toBe(400);

  const floats = JSON.parse((await post('/embeddings', { model: 'e', input: ['a', 'b'], dimensions: 3, encoding_format: 'float' })).text);
  expect(floats).toMatchObject({ object: 'list', model: 'e', usage: { prompt_tokens: 2, total_tokens: 2 } });
  expect(floats.data.map((d: { index: number; embedding: number[] }) => [d.index, d.embedding.length])).toEqual([
    [0, 3],
    [1, 3],
  ]);
  const packed = JSON.parse((await post('/embeddings', { model: 'e', input: 'a', dimensions: 3, encoding_format: 'base64' })).text);
  const decoded = new Float32Array(Uint8Array.from(Buffer.from(packed.data[0].embedding, 'base64')).buffer);
  expect([...decoded].map((v) => v.toFixed(5))).toEqual(floats.data[0].embedding.map((v: number) => v.toFixed(5)));
  expect((await post('/embeddings', { model: 'e', input: [] })).status).toBe(400);

  const models = await fetch(`${llm.url}/models`, { headers: { authorization: 'Bearer sk-stand-in' } });
  expect(await models.json()).toMatchObject({
    object: 'list',
    data: expect.arrayContaining([expect.objectContaining({ id: 'gpt-4o-mini', object: 'model' })]),
  });
});
