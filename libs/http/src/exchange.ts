import { CodedError, type IngressAnswer, type IngressRequest } from '@openflows/common';
import type { HttpRequest } from '@openflows/sdk';

/**
 * What a run of an endpoint's flow hands back to the waiting api (ProviderAdapter.completeRun through
 * the ReplyWindow): the handler's return value, or that the run failed.
 */
export type EndpointReply = { ok: true; runId: string; result: unknown } | { ok: false; runId: string };

/**
 * Response headers a flow may not set: hop-by-hop and framing ones (RFC 9110 §7.6.1; the server frames
 * the body itself) and `set-cookie`, since endpoints share the platform's origin with the dashboard.
 */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
  'set-cookie',
]);

/**
 * Sent with every flow response: the platform's origin also serves the dashboard, so a page a flow
 * returns runs sandboxed (an opaque origin: no dashboard cookies, no reading its API) and its type is
 * not sniffed into something else.
 */
const PROTECTIVE = { 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff' };

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** A header field name (RFC 9110 token) and a value without control characters: what Node lets through. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Present header or query values by name (the ingress keeps the first of repeated ones). */
function present(values: Record<string, string | undefined>, withheld: ReadonlySet<string> = new Set()): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined && !withheld.has(entry[0])),
  );
}

/**
 * The `payload` of the `request` event for `request` at `path` (below the endpoint's URL): method,
 * path, query, headers, the body as text and, for a JSON content type, the body parsed. `cookie` is
 * never passed on (the platform's cookies, not the flow's), nor the headers in `withheld` (the
 * caller's bearer token). See HttpRequest.
 */
export function requestPayload(request: IngressRequest, path: string, withheld: string[] = []): HttpRequest {
  const headers = present(request.headers, new Set(['cookie', ...withheld]));
  const payload: HttpRequest = { method: request.method, path, query: present(request.query), headers, body: request.raw.toString('utf8') };
  if (payload.body !== '' && JSON_TYPE.test(headers['content-type'] ?? '')) {
    try {
      payload.json = JSON.parse(payload.body);
    } catch {
      // Not JSON after all: the flow still has the text.
    }
  }
  return payload;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The flow's return value as an HttpResponse's parts, or undefined when it is not one. */
function responseParts(result: unknown): { status: number; headers: Record<string, string>; body: string } | undefined {
  if (!isObject(result) || !Number.isInteger(result.status) || (result.status as number) < 100 || (result.status as number) > 599)
    return undefined;
  const headers = result.headers ?? {};
  if (!isObject(headers) || Object.values(headers).some((v) => typeof v !== 'string')) return undefined;
  const body = result.body ?? '';
  if (typeof body !== 'string') return undefined;
  return { status: result.status as number, headers: headers as Record<string, string>, body };
}

/**
 * What the caller is answered for a run's `reply`: the flow's HttpResponse (status, headers without
 * the dropped ones, body) with the protective headers; 204 when the handler returned nothing.
 * @throws CodedError ENDPOINT_FAILED (502, `details.runId`) when the run failed or returned something
 *   that is not an HTTP response; never the error or its stack (they are in the run's log).
 */
export function answerOf(reply: EndpointReply): IngressAnswer {
  const failed = (message: string) => new CodedError('ENDPOINT_FAILED', message, { details: { runId: reply.runId } });
  if (!reply.ok) throw failed(`the flow failed; see run ${reply.runId}`);
  if (reply.result === undefined || reply.result === null) return { status: 204, headers: { ...PROTECTIVE } };
  const parts = responseParts(reply.result);
  if (!parts)
    throw failed(
      `the flow returned something other than an HTTP response (return http.json(…) or http.response(…)); see run ${reply.runId}`,
    );
  const headers: Record<string, string> = { ...PROTECTIVE };
  let type = 'text/plain; charset=utf-8';
  for (const [name, value] of Object.entries(parts.headers)) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(lower) || !HEADER_VALUE.test(value)) continue;
    if (lower === 'content-type') type = value;
    else if (!DROPPED.has(lower) && !Object.hasOwn(PROTECTIVE, lower)) headers[lower] = value;
  }
  return { status: parts.status, headers, body: parts.body, type };
}
