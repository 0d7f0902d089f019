/**
 * A local stand-in for an OpenAI-compatible chat completions API (`POST /v1/chat/completions`) and its
 * models list (`GET /v1/models`, OpenAI's `ListModelsResponse`: `{ object: 'list', data: [Model] }`),
 * listening on 127.0.0.1 at a random port. Point `OPENAI_BASE_URL` (or a key's `baseURL`) at `url`.
 * Both check the bearer key and answer errors in OpenAI's `{ error: { message, type, param, code } }` shape.
 *
 * ```ts
 * const llm = await startOpenAiStandIn();
 * llm.reply((body) => `hello ${body.messages.length}`);
 * llm.failNext(429, 1, { 'retry-after': '0' });
 * // ... run the code under test ...
 * expect(llm.requests.at(-1)?.body.messages).toEqual([...]);
 * await llm.close();
 * ```
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpenAiStandInOptions {
  /** When set, only `Authorization: Bearer <apiKey>` is accepted; otherwise any non-empty bearer token. */
  apiKey?: string;
  /** False: no `GET /v1/models` (404, as some OpenAI-compatible servers answer). Default true. */
  models?: boolean;
}

/** The body of a chat completions request as the client sent it (only the fields we read are typed). */
export interface ChatCompletionBody {
  model: string;
  messages: { role: string; content: string }[];
  [field: string]: unknown;
}

/** Every request the stand-in received, failed and refused ones included, in arrival order. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON (typed as what tests read); `undefined` at run time when it was empty or not JSON. */
  body: ChatCompletionBody;
}

/**
 * How to answer: the assistant text, or the text with token counts. Unset counts are the number of
 * whitespace-separated words of all request messages (prompt) and of the answer (completion).
 */
export type StandInAnswer = string | { content: string; promptTokens?: number; completionTokens?: number };

export interface OpenAiStandIn {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Sets how chat completions are answered; the default is `echo: <last user message>`. */
  reply(answer: (body: ChatCompletionBody) => StandInAnswer | Promise<StandInAnswer>): void;
  /**
   * Answers the next `times` chat completion requests (default 1) with `status` and an OpenAI-style
   * error body, plus `headers` (e.g. `{ 'retry-after': '0' }`). Calls add up in order.
   */
  failNext(status: number, times?: number, headers?: Record<string, string>): void;
  /** Holds every later answer (failures included) for `ms` milliseconds; 0 turns it off. */
  delay(ms: number): void;
  close(): Promise<void>;
}

interface Failure {
  status: number;
  headers: Record<string, string>;
}

/** Starts the stand-in; see {@link OpenAiStandIn}. */
export async function startOpenAiStandIn(options: OpenAiStandInOptions = {}): Promise<OpenAiStandIn> {
  const requests: RecordedRequest[] = [];
  const failures: Failure[] = [];
  let answer: (body: ChatCompletionBody) => StandInAnswer | Promise<StandInAnswer> = echo;
  let delayMs = 0;
  let completions = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const body = parseJson(raw) as ChatCompletionBody;
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    requests.push({ method: req.method ?? '', path, headers: req.headers, body });

    if (req.method === 'GET' && path === '/v1/models' && options.models !== false) {
      if (!authorised(req.headers.authorization, options.apiKey)) {
        return sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
      }
      const model = (id: string) => ({ id, object: 'model', created: 1_686_935_002, owned_by: 'openai' });
      return sendJson(res, 200, { object: 'list', data: [model('gpt-4o-mini'), model('gpt-4o')] });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendError(res, 404, `Unknown request URL: ${req.method} ${path}.`, 'invalid_request_error', 'unknown_url');
    }
    if (!authorised(req.headers.authorization, options.apiKey)) {
      return sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const failure = failures.shift();
    if (failure !== undefined) {
      return sendError(res, failure.status, `stand-in failure ${failure.status}`, 'server_error', null, failure.headers);
    }
    if (!Array.isArray(body?.messages) || typeof body.model !== 'string') {
      return sendError(res, 400, "'model' and 'messages' are required properties.", 'invalid_request_error', null);
    }
    completions += 1;
    sendJson(res, 200, completion(`chatcmpl-standin-${completions}`, body, await answer(body)));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendError(res, 500, `stand-in crashed: ${String(error)}`, 'server_error', null);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    reply: (fn) => {
      answer = fn;
    },
    failNext: (status, times = 1, headers = {}) => {
      for (let i = 0; i < times; i++) failures.push({ status, headers });
    },
    delay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Clients keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function echo(body: ChatCompletionBody): string {
  const lastUser = body.messages.filter((message) => message.role === 'user').at(-1);
  return `echo: ${lastUser?.content ?? ''}`;
}

function completion(id: string, body: ChatCompletionBody, answer: StandInAnswer) {
  const { content, promptTokens, completionTokens } = typeof answer === 'string' ? { content: answer } : answer;
  const prompt = promptTokens ?? body.messages.reduce((sum, message) => sum + words(message.content), 0);
  const completion = completionTokens ?? words(content);
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

function words(text: unknown): number {
  return typeof text === 'string' ? text.split(/\s+/).filter(Boolean).length : 0;
}

function authorised(header: string | undefined, apiKey: string | undefined): boolean {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  return token !== undefined && (apiKey === undefined || token === apiKey);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
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
): void {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
