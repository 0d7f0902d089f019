import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { EgressConfig } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { EgressPolicy, EgressRefusedError, urlPort } from './egress-policy';

/**
 * A flow's `fetch` call as the isolate hands it over (plain data, JSON-safe): `method` defaults to
 * GET; `headers` are `[name, value]` pairs (a repeated name is joined with `, `); `body` is text, or
 * bytes in base64 when `bodyEncoding` is `base64`.
 */
export interface FetchRequest {
  url: string;
  method?: string;
  headers?: [string, string][];
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
}

/**
 * The answer handed back to the isolate: the final URL (after redirects, without fragment), status,
 * headers as `[lower-case name, value]` pairs in the order received, the body bytes as sent by the
 * server (not decompressed) in base64, and whether a redirect was followed.
 */
export interface FetchResponse {
  url: string;
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
  redirected: boolean;
}

/** A flow's fetch: what the isolate calls through. */
export type FlowFetch = (request: FetchRequest) => Promise<FetchResponse>;

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'openflows-flow';
/** Methods WHATWG fetch upper-cases; any other method is sent as written. */
const NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
/** Methods WHATWG fetch forbids: they would turn the request into a tunnel or echo credentials back. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers that describe the body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
/** Credentials the flow meant for one origin, not sent on to another one a redirect points at. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** One request on the way: the URL it goes to and what is sent. */
interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** One answer: its head, and its body unless it is a redirect about to be followed. */
interface Answer {
  status: number;
  statusText: string;
  headers: [string, string][];
  location?: string;
  body: Buffer;
}

/**
 * The host side of a flow's `fetch`, for ONE run: it counts the run's requests. Each call is checked
 * against the egress policy (see {@link EgressPolicy}) on every hop, redirects (at most 5) are
 * followed by hand — 301/302/303 as a GET without body, credentials dropped when the origin changes —
 * and one line goes through `log`: `fetch GET example.com 200 12 ms` (method, host the flow asked
 * for, status or error code, milliseconds; never headers, paths, queries or bodies). Only `http:`
 * and `https:` URLs; a `user-agent: openflows-flow` header unless the flow sets one; nothing else added.
 * @param egress allow patterns; `maxRequests` per run (redirects not counted); `maxResponseBytes` per
 *   response body; `timeoutMs` per call, redirects included.
 * @returns a function that rejects with SdkError EGRESS_REFUSED (the policy refuses a host: the
 *   message names it and why), LIMIT_FETCH (too many requests, body too large) or FETCH_FAILED (bad
 *   URL/method/headers, DNS, connection, TLS, timeout — "timed out" —, too many redirects).
 */
export function createFlowFetch(egress: EgressConfig, log: (line: string) => void): FlowFetch {
  const policy = new EgressPolicy(egress.allow);
  let made = 0;
  return async (request) => {
    const started = performance.now();
    const method = validMethod(request.method);
    const host = hostOf(request.url);
    const outcome = (result: number | string) =>
      log(`fetch ${method ?? '-'} ${host} ${result} ${Math.round(performance.now() - started)} ms`);
    try {
      made += 1;
      if (made > egress.maxRequests) throw new SdkError('LIMIT_FETCH', `a run may make at most ${egress.maxRequests} fetch requests`);
      const response = await follow(policy, egress, firstHop(request, method));
      outcome(response.status);
      return response;
    } catch (error) {
      const failure = asSdkError(error, host, egress.timeoutMs);
      outcome(failure.code);
      throw failure;
    }
  };
}

/** The method as WHATWG fetch sends it, or undefined when it is not an HTTP token or is forbidden. */
function validMethod(method: unknown = 'GET'): string | undefined {
  if (typeof method !== 'string') return undefined;
  const upper = method.toUpperCase();
  if (!TOKEN.test(method) || FORBIDDEN_METHODS.has(upper)) return undefined;
  return NORMALISED_METHODS.has(upper) ? upper : method;
}

/** The `host[:port]` of a URL for the log line; `-` when it is not a URL. */
function hostOf(url: unknown): string {
  return typeof url === 'string' && URL.canParse(url) ? new URL(url).host || '-' : '-';
}

/** The first hop of a request. @throws SdkError FETCH_FAILED for a bad URL, method, headers or body. */
function firstHop(request: FetchRequest, method: string | undefined): Hop {
  if (!method) throw new SdkError('FETCH_FAILED', `${String(request.method)} is not a method fetch can send`);
  if (request.body !== undefined && typeof request.body !== 'string') throw new SdkError('FETCH_FAILED', 'body must be a string');
  const body = request.body === undefined ? undefined : Buffer.from(request.body, request.bodyEncoding === 'base64' ? 'base64' : 'utf8');
  if (body && (method === 'GET' || method === 'HEAD')) throw new SdkError('FETCH_FAILED', `a ${method} request cannot have a body`);
  const headers = headerRecord(request.headers ?? []);
  if (!('user-agent' in headers)) headers['user-agent'] = USER_AGENT;
  return { url: fetchableUrl(request.url), method, headers, body };
}

/** `[name, value]` pairs as one record with lower-case names; a repeated name's values joined with `, ` as WHATWG Headers do. */
function headerRecord(pairs: [string, string][]): Record<string, string> {
  if (!Array.isArray(pairs)) throw new SdkError('FETCH_FAILED', 'headers must be [name, value] pairs');
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new SdkError('FETCH_FAILED', 'headers must be [name, value] pairs of strings');
    }
    const name = pair[0].toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${pair[1]}` : pair[1];
  }
  return headers;
}

/**
 * `url` parsed, without its fragment (never sent).
 * @throws SdkError FETCH_FAILED unless it is an `http:`/`https:` URL without credentials (WHATWG fetch refuses those too).
 */
function fetchableUrl(url: unknown, base?: URL): URL {
  if (typeof url !== 'string' || !URL.canParse(url, base?.href))
    throw new SdkError('FETCH_FAILED', base ? 'a redirect pointed to an invalid URL' : 'not a valid URL');
  const parsed = new URL(url, base);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SdkError('FETCH_FAILED', `only http: and https: URLs can be fetched, not ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password)
    throw new SdkError('FETCH_FAILED', 'URLs with credentials cannot be fetched; send an authorization header');
  parsed.hash = '';
  return parsed;
}

/** Sends `hop` and the redirects it leads to, all within `egress.timeoutMs`. */
async function follow(policy: EgressPolicy, egress: EgressConfig, hop: Hop): Promise<FetchResponse> {
  const signal = AbortSignal.timeout(egress.timeoutMs);
  for (let redirects = 0; ; redirects++) {
    const answer = await exchange(policy, hop, signal, egress.maxResponseBytes);
    if (answer.location === undefined) {
      const { status, statusText, headers, body } = answer;
      return { url: hop.url.href, status, statusText, headers, body: body.toString('base64'), redirected: redirects > 0 };
    }
    if (redirects === MAX_REDIRECTS) throw new SdkError('FETCH_FAILED', `fetch to ${hop.url.host}: more than ${MAX_REDIRECTS} redirects`);
    hop = redirectHop(hop, answer.status, answer.location);
  }
}

/** The hop a redirect leads to: 301/302/303 become a GET without body (HEAD stays HEAD); credentials stay behind on another origin. */
function redirectHop(hop: Hop, status: number, location: string): Hop {
  const url = fetchableUrl(location, hop.url);
  const headers = { ...hop.headers };
  let { method, body } = hop;
  if (status !== 307 && status !== 308 && method !== 'HEAD') {
    method = 'GET';
    body = undefined;
    for (const name of BODY_HEADERS) delete headers[name];
  }
  if (url.origin !== hop.url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  return { url, method, headers, body };
}

/**
 * One HTTP exchange, the policy checked first (IP literals, metadata names) and again on the
 * addresses the host resolves to. A fresh connection every time (`agent: false`): a pooled socket
 * would skip the lookup and its check. Redirect answers resolve without their body; other bodies are
 * read up to `maxBytes`.
 */
function exchange(policy: EgressPolicy, hop: Hop, signal: AbortSignal, maxBytes: number): Promise<Answer> {
  policy.checkHost(hop.url);
  return new Promise<Answer>((resolve, reject) => {
    const send = hop.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send({
      hostname: hop.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: urlPort(hop.url),
      path: hop.url.pathname + hop.url.search,
      method: hop.method,
      headers: hop.headers as OutgoingHttpHeaders,
      lookup: policy.lookup(hop.url),
      agent: false,
    });
    const settle = (error?: unknown, answer?: Answer) => {
      signal.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        request.destroy();
        reject(error);
      } else resolve(answer!);
    };
    const onAbort = () => settle(signal.reason);
    if (signal.aborted) return settle(signal.reason);
    signal.addEventListener('abort', onAbort);
    // Named after this hop's host: after a redirect it is not the one the flow asked for.
    // `on`, not `once`: a destroyed request can report more than one error, and an unheard one would crash the process.
    request.on('error', (error) => settle(error instanceof EgressRefusedError ? error : networkError(error, hop.url.host)));
    request.once('response', (response) => readAnswer(response, hop.url.host, maxBytes, settle));
    request.end(hop.body);
  });
}

/** Hands `response` to `settle`: at once for a redirect with a Location, after its body otherwise. */
function readAnswer(response: IncomingMessage, host: string, maxBytes: number, settle: (error?: unknown, answer?: Answer) => void): void {
  const status = response.statusCode ?? 0;
  const head = { status, statusText: response.statusMessage ?? '', headers: headerPairs(response.rawHeaders) };
  const location = response.headers.location;
  if (REDIRECT_STATUSES.has(status) && location !== undefined) {
    response.destroy();
    return settle(undefined, { ...head, location, body: Buffer.alloc(0) });
  }
  const tooLarge = () => new SdkError('LIMIT_FETCH', `the response body is larger than ${maxBytes} bytes`);
  if (Number(response.headers['content-length'] ?? 0) > maxBytes) return settle(tooLarge());
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) return settle(tooLarge());
    chunks.push(chunk);
  });
  response.on('error', (error) => settle(networkError(error, host)));
  response.once('end', () => settle(undefined, { ...head, body: Buffer.concat(chunks) }));
}

/** Node's flat `rawHeaders` as `[lower-case name, value]` pairs. */
function headerPairs(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i].toLowerCase(), raw[i + 1]]);
  return pairs;
}

/** A socket or parser error as the flow sees it: FETCH_FAILED with Node's message (it names no header values or bodies). */
function networkError(error: Error, host: string): SdkError {
  return new SdkError('FETCH_FAILED', `fetch to ${host} failed: ${error.message}`);
}

/**
 * Any failure as the SdkError the flow sees: policy refusals EGRESS_REFUSED, the call's timeout and
 * anything else (headers Node refuses to send) FETCH_FAILED.
 */
function asSdkError(error: unknown, host: string, timeoutMs: number): SdkError {
  if (error instanceof SdkError) return error;
  if (error instanceof EgressRefusedError) return new SdkError('EGRESS_REFUSED', `fetch refused: ${error.message}`);
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return new SdkError('FETCH_FAILED', `fetch to ${host} timed out after ${timeoutMs} ms`);
  }
  return networkError(error as Error, host);
}
