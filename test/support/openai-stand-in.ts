/**
 * A local stand-in for an OpenAI-compatible API on 127.0.0.1 at a random port, shaped on OpenAI's
 * published OpenAPI description (see `openai-checks.ts` for what it refuses, as the API does):
 * `POST /v1/chat/completions` (JSON, or `text/event-stream` of `chat.completion.chunk` events with
 * `stream: true`, tool calls included), `POST /v1/images/generations`, `POST /v1/audio/transcriptions`
 * (multipart upload), `POST /v1/embeddings` (float or base64 vectors) and `GET /v1/models`. Point
 * `OPENAI_BASE_URL` (or a key's `baseURL`) at `url`.
 *
 * ```ts
 * const llm = await startOpenAiStandIn();
 * llm.reply((body) => `hello ${body.messages.length}`);
 * llm.reply(() => ({ toolCalls: [{ name: 'weather', arguments: '{"city":"Paris"}' }] }));
 * llm.failNext(429, 1, { 'retry-after': '0' });
 * const release = llm.holdStream(2); // streams pause after 2 text chunks until release()
 * // ... run the code under test ...
 * expect(llm.requests.at(-1)?.body.messages).toEqual([...]);
 * await llm.close();
 * ```
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  RefusedRequest,
  checkChatCompletion,
  checkEmbeddingRequest,
  checkImageRequest,
  checkTranscription,
  type TranscriptionUpload,
} from './openai-checks';

export interface OpenAiStandInOptions {
  /** When set, only `Authorization: Bearer <apiKey>` is accepted; otherwise any non-empty bearer token. */
  apiKey?: string;
  /**
   * What `GET /v1/models` lists; default a few OpenAI model ids. False: no such route (404), as some
   * OpenAI-compatible servers answer.
   */
  models?: string[] | false;
}

/** A message of a chat completions request as the client sent it. */
export interface SentMessage {
  role: string;
  content: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** The body of a chat completions request as the client sent it (only the fields we read are typed). */
export interface ChatCompletionBody {
  model: string;
  messages: SentMessage[];
  stream?: boolean;
  tools?: { type: 'function'; function: { name: string; description?: string; parameters?: unknown } }[];
  [field: string]: unknown;
}

/** Every request the stand-in received, failed and refused ones included, in arrival order. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON (typed as what tests read); `undefined` at run time when it was empty, multipart or not JSON. */
  body: ChatCompletionBody;
  /** A multipart upload (audio transcriptions): its fields and file. */
  upload?: TranscriptionUpload;
}

/** A tool call the stand-in answers with; `arguments` is sent as given (JSON text). */
export interface StandInToolCall {
  name: string;
  arguments: string;
}

/**
 * How to answer a chat completion: the assistant text, or an object with the text and/or tool calls
 * (ignored when the request says `tool_choice: "none"`, as a model does), token counts, and how the
 * text is cut into stream chunks. Unset counts are the number of whitespace-separated words of all
 * request messages (prompt) and of the answer (completion); unset chunks are the answer's words.
 */
export type StandInAnswer =
  string | { content?: string; toolCalls?: StandInToolCall[]; promptTokens?: number; completionTokens?: number; chunks?: string[] };

export interface OpenAiStandIn {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Sets how chat completions are answered; the default is `echo: <last user message>`. */
  reply(answer: (body: ChatCompletionBody) => StandInAnswer | Promise<StandInAnswer>): void;
  /** Sets the text of transcriptions; the default is `transcribed <n> bytes of <file name>`. */
  transcript(text: (upload: TranscriptionUpload) => string): void;
  /**
   * Answers the next `times` API requests (default 1) with `status` and an OpenAI-style error body,
   * plus `headers` (e.g. `{ 'retry-after': '0' }`). Calls add up in order.
   */
  failNext(status: number, times?: number, headers?: Record<string, string>): void;
  /** Holds every later answer (failures included) for `ms` milliseconds; 0 turns it off. */
  delay(ms: number): void;
  /** Streams pause after `chunks` text chunks until the returned function is called. */
  holdStream(chunks: number): () => void;
  /** The bytes `url` images point at (`GET /v1/files/...`) and `b64_json` images hold: a 1×1 PNG. */
  readonly imageBytes: Buffer;
  close(): Promise<void>;
}

interface Failure {
  status: number;
  headers: Record<string, string>;
}

/** A 1×1 PNG, made for the stand-in (the spec's examples only show `"b64_json": "..."`). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP438AAAAQBAYDFKhhdAAAAAElFTkSuQmCC', 'base64');
const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'whisper-1', 'dall-e-3', 'text-embedding-3-small'];
const DEFAULT_DIMENSIONS = 1536;

/** Starts the stand-in; see {@link OpenAiStandIn}. */
export async function startOpenAiStandIn(options: OpenAiStandInOptions = {}): Promise<OpenAiStandIn> {
  const requests: RecordedRequest[] = [];
  const failures: Failure[] = [];
  let answer: (body: ChatCompletionBody) => StandInAnswer | Promise<StandInAnswer> = echo;
  let transcript: (upload: TranscriptionUpload) => string = (upload) =>
    `transcribed ${upload.file?.bytes.length ?? 0} bytes of ${upload.file?.name ?? ''}`;
  let delayMs = 0;
  let completions = 0;
  let hold: { after: number; released: Promise<void> } | undefined;
  let url = '';

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, record: RecordedRequest, raw: Buffer) => Promise<void>> = {
    'POST /v1/chat/completions': async (_req, res, { body }) => {
      checkChatCompletion(body);
      completions += 1;
      const id = `chatcmpl-standin-${completions}`;
      const reply = normalise(await answer(body), body);
      if (body.stream === true) return stream(res, id, body, reply, hold);
      sendJson(res, 200, completion(id, body, reply));
    },
    'POST /v1/images/generations': async (_req, res, { body }) => {
      checkImageRequest(body);
      const n = (body.n as number | undefined) ?? 1;
      const asUrl = (body.response_format ?? (String(body.model ?? 'dall-e-2').startsWith('dall-e') ? 'url' : 'b64_json')) === 'url';
      const data = Array.from({ length: n }, (_, i) =>
        asUrl ? { url: `${url}/files/image-${completions}-${i}.png`, revised_prompt: body.prompt } : { b64_json: PNG.toString('base64') },
      );
      sendJson(res, 200, { created: now(), data });
    },
    'POST /v1/audio/transcriptions': async (req, res, record, raw) => {
      record.upload = await readUpload(req, raw);
      checkTranscription(record.upload);
      const text = transcript(record.upload);
      if (record.upload.fields.response_format === 'text') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(text);
      }
      const seconds = wavSeconds(record.upload.file!.bytes);
      sendJson(res, 200, { text, usage: { type: 'duration', seconds } });
    },
    'POST /v1/embeddings': async (_req, res, { body }) => {
      checkEmbeddingRequest(body);
      const inputs = typeof body.input === 'string' ? [body.input] : (body.input as string[]);
      const dimensions = (body.dimensions as number | undefined) ?? DEFAULT_DIMENSIONS;
      const base64 = body.encoding_format === 'base64';
      const data = inputs.map((input, index) => {
        const vector = embed(input, dimensions);
        return { object: 'embedding', index, embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : [...vector] };
      });
      const tokens = inputs.reduce((sum, input) => sum + words(input), 0);
      sendJson(res, 200, { object: 'list', model: body.model, data, usage: { prompt_tokens: tokens, total_tokens: tokens } });
    },
    'GET /v1/models': async (_req, res) => {
      const data = (options.models === false ? [] : (options.models ?? DEFAULT_MODELS)).map((id) => ({
        id,
        object: 'model',
        created: 1_700_000_000,
        owned_by: 'openflows-stand-in',
      }));
      sendJson(res, 200, { object: 'list', data });
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const multipart = (req.headers['content-type'] ?? '').startsWith('multipart/form-data');
    const body = (multipart ? undefined : parseJson(raw.toString('utf8'))) as ChatCompletionBody;
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const record: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, body };
    requests.push(record);

    if (req.method === 'GET' && path.startsWith('/v1/files/')) {
      res.writeHead(200, { 'content-type': 'image/png' });
      return void res.end(PNG);
    }
    const route = options.models === false && path === '/v1/models' ? undefined : routes[`${req.method} ${path}`];
    if (!route) return sendError(res, 404, `Unknown request URL: ${req.method} ${path}.`, 'invalid_request_error', 'unknown_url');
    if (!authorised(req.headers.authorization, options.apiKey)) {
      return sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const failure = failures.shift();
    if (failure !== undefined) {
      return sendError(res, failure.status, `stand-in failure ${failure.status}`, 'server_error', null, failure.headers);
    }
    if (req.method === 'POST' && !multipart && (body === undefined || typeof body !== 'object')) {
      return sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
    }
    try {
      await route(req, res, record, raw);
    } catch (error) {
      if (!(error instanceof RefusedRequest)) throw error;
      sendError(res, error.status, error.message, 'invalid_request_error', null, {}, error.param);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendError(res, 500, `stand-in crashed: ${String(error)}`, 'server_error', null);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}/v1`;

  return {
    url,
    requests,
    imageBytes: PNG,
    reply: (fn) => {
      answer = fn;
    },
    transcript: (fn) => {
      transcript = fn;
    },
    failNext: (status, times = 1, headers = {}) => {
      for (let i = 0; i < times; i++) failures.push({ status, headers });
    },
    delay: (ms) => {
      delayMs = ms;
    },
    holdStream: (after) => {
      let release!: () => void;
      hold = { after, released: new Promise<void>((resolve) => (release = resolve)) };
      return () => {
        hold = undefined;
        release();
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Clients keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** An answer with everything filled in: text, tool calls with ids, token counts, chunks. */
interface Reply {
  content: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  promptTokens: number;
  completionTokens: number;
  chunks: string[];
}

function normalise(answer: StandInAnswer, body: ChatCompletionBody): Reply {
  const given = typeof answer === 'string' ? { content: answer } : answer;
  const offered = new Set((body.tools ?? []).map((tool) => tool.function.name));
  // A model does not call tools it was not offered, nor any when told `tool_choice: "none"`.
  const calls = body.tool_choice === 'none' ? [] : (given.toolCalls ?? []).filter((call) => offered.has(call.name));
  const content = given.content ?? (calls.length > 0 ? '' : 'echo: (no answer set)');
  const toolCalls = calls.map((call, index) => ({
    id: `call_${createHash('sha256').update(`${call.name}${index}${call.arguments}${Math.random()}`).digest('hex').slice(0, 24)}`,
    ...call,
  }));
  return {
    content,
    toolCalls,
    promptTokens: given.promptTokens ?? body.messages.reduce((sum, message) => sum + words(message.content), 0),
    completionTokens: given.completionTokens ?? words(content) + toolCalls.reduce((sum, call) => sum + words(call.arguments), 0),
    chunks: given.chunks ?? content.match(/\s*\S+\s*$|\s*\S+/g) ?? [],
  };
}

function echo(body: ChatCompletionBody): string {
  const lastUser = body.messages.filter((message) => message.role === 'user').at(-1);
  return `echo: ${lastUser?.content ?? ''}`;
}

const now = () => Math.floor(Date.now() / 1000);

function completion(id: string, body: ChatCompletionBody, reply: Reply) {
  const message = {
    role: 'assistant',
    content: reply.toolCalls.length > 0 && reply.content === '' ? null : reply.content,
    refusal: null,
    ...(reply.toolCalls.length > 0
      ? {
          tool_calls: reply.toolCalls.map(({ id: callId, name, arguments: args }) => ({
            id: callId,
            type: 'function',
            function: { name, arguments: args },
          })),
        }
      : {}),
  };
  return {
    id,
    object: 'chat.completion',
    created: now(),
    model: body.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
    usage: usage(reply),
  };
}

function usage(reply: Reply) {
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: reply.completionTokens,
    total_tokens: reply.promptTokens + reply.completionTokens,
  };
}

/**
 * The answer as the API streams it: `data: <chunk JSON>` events, a first chunk with the role and empty
 * content, one per text piece, tool calls as a head (id, name) and argument pieces, a last chunk with
 * `finish_reason`, the usage chunk (empty `choices`) when `stream_options.include_usage`, then `data: [DONE]`.
 */
async function stream(
  res: ServerResponse,
  id: string,
  body: ChatCompletionBody,
  reply: Reply,
  hold: { after: number; released: Promise<void> } | undefined,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const created = now();
  const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: null, choices, ...extra })}\n\n`,
    );
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    send([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  delta({ role: 'assistant', content: '', refusal: null });
  for (const [n, piece] of reply.chunks.entries()) {
    if (hold && n === hold.after) await hold.released;
    delta({ content: piece });
  }
  reply.toolCalls.forEach((call, index) => {
    delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const piece of call.arguments.match(/.{1,8}/gs) ?? []) delta({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  delta({}, reply.toolCalls.length > 0 ? 'tool_calls' : 'stop');
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) send([], { usage: usage(reply) });
  res.end('data: [DONE]\n\n');
}

/** Reads a multipart body with the platform's own WHATWG parser (undici's `formData()`). */
async function readUpload(req: IncomingMessage, raw: Buffer): Promise<TranscriptionUpload> {
  const form = await new Response(raw, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
  const upload: TranscriptionUpload = { fields: {} };
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') upload.fields[name] = value;
    else if (name === 'file') upload.file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
    else upload.fields[name] = '[file]';
  }
  return upload;
}

/** A WAV file's length in seconds from its header (byte rate), 0 for other formats. */
function wavSeconds(bytes: Buffer): number {
  if (bytes.subarray(8, 12).toString('latin1') !== 'WAVE' || bytes.length < 44) return 0;
  return Math.round(((bytes.length - 44) / bytes.readUInt32LE(28)) * 100) / 100;
}

/** A unit vector that depends only on the text, so equal texts embed alike. */
function embed(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  let seed = createHash('sha256').update(text).digest();
  for (let i = 0; i < dimensions; i++) {
    if (i % 8 === 0 && i > 0) seed = createHash('sha256').update(seed).digest();
    vector[i] = seed.readInt32LE((i % 8) * 4) / 2 ** 31;
  }
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function words(text: unknown): number {
  return typeof text === 'string' ? text.split(/\s+/).filter(Boolean).length : 0;
}

function authorised(header: string | undefined, apiKey: string | undefined): boolean {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  return token !== undefined && (apiKey === undefined || token === apiKey);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return raw === '' ? undefined : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

// OpenAI's error shape: { error: { message, type, param, code } }.
function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
  param: string | null = null,
): void {
  sendJson(res, status, { error: { message, type, param, code } }, headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
