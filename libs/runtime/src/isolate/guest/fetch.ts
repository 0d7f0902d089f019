/**
 * `fetch` inside the isolate, with the WHATWG shapes flows use: the request crosses the bridge as
 * data, the host makes it under the egress policy (see `createFlowFetch`) and the answer comes back
 * as data. Headers and Response are small implementations of the parts flows need.
 */
import type { FetchResponse } from '../../egress/flow-fetch';
import { call } from './bridge';

type HeadersInit = Headers | Record<string, string> | [string, string][];

/** Case-insensitive header list (`get`, `set`, `append`, `has`, `delete`, iteration). */
export class Headers {
  private readonly map = new Map<string, string>();

  constructor(init?: HeadersInit) {
    if (init instanceof Headers) init.forEach((value, name) => this.append(name, value));
    else if (Array.isArray(init)) init.forEach(([name, value]) => this.append(name, value));
    else if (init) Object.entries(init).forEach(([name, value]) => this.append(name, value));
  }

  append(name: string, value: string): void {
    const key = String(name).toLowerCase();
    const had = this.map.get(key);
    this.map.set(key, had === undefined ? String(value) : `${had}, ${String(value)}`);
  }

  set(name: string, value: string): void {
    this.map.set(String(name).toLowerCase(), String(value));
  }

  get(name: string): string | null {
    return this.map.get(String(name).toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.map.has(String(name).toLowerCase());
  }

  delete(name: string): void {
    this.map.delete(String(name).toLowerCase());
  }

  forEach(callback: (value: string, name: string) => void): void {
    this.map.forEach((value, name) => callback(value, name));
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The answer of {@link flowFetch}: `status`, `headers`, and the body once as text, JSON or bytes. */
export class Response {
  readonly ok: boolean;
  readonly headers: Headers;
  private used = false;

  constructor(
    private readonly bytes: Uint8Array,
    readonly status: number,
    readonly statusText: string,
    headers: [string, string][],
    readonly url: string,
    readonly redirected: boolean,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new Headers(headers);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  private take(): Uint8Array {
    if (this.used) throw new TypeError('the body of this response has already been read');
    this.used = true;
    return this.bytes;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.take());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

interface FetchInit {
  method?: string;
  headers?: HeadersInit;
  body?: string | Uint8Array | ArrayBuffer | URLSearchParams | null;
}

function encodeBody(body: FetchInit['body'], headers: Headers): { body?: string; bodyEncoding?: 'utf8' | 'base64' } {
  if (body === undefined || body === null) return {};
  if (typeof body === 'string') return { body, bodyEncoding: 'utf8' };
  if (body instanceof URLSearchParams) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return { body: body.toString(), bodyEncoding: 'utf8' };
  }
  if (body instanceof ArrayBuffer) return { body: bytesToBase64(new Uint8Array(body)), bodyEncoding: 'base64' };
  if (ArrayBuffer.isView(body))
    return { body: bytesToBase64(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)), bodyEncoding: 'base64' };
  throw new TypeError('fetch: body must be a string, bytes or URLSearchParams (JSON.stringify objects yourself)');
}

/**
 * `fetch(url, { method, headers, body })`: made by the platform, under its egress policy.
 * @throws SdkError EGRESS_REFUSED, FETCH_FAILED or LIMIT_FETCH.
 */
export async function flowFetch(input: string | URL | { url: string }, init: FetchInit = {}): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : String(input.url);
  const headers = new Headers(init.headers);
  const encoded = encodeBody(init.body, headers);
  const answer = (await call('fetch.request', [{ url, method: init.method ?? 'GET', headers: [...headers], ...encoded }])) as FetchResponse;
  return new Response(base64ToBytes(answer.body), answer.status, answer.statusText, answer.headers, answer.url, answer.redirected);
}
