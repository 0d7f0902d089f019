import type { IngressRequest } from '@openflows/common';
import { answerOf, requestPayload } from './exchange';

function request(overrides: Partial<IngressRequest> = {}): IngressRequest {
  return { method: 'POST', path: 'k/notes', headers: {}, query: {}, raw: Buffer.alloc(0), ...overrides };
}

describe('requestPayload', () => {
  it('gives method, path, query, headers and the body as text; JSON bodies parsed', () => {
    const payload = requestPayload(
      request({
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-trace': 't1', accept: undefined },
        query: { q: 'ai', page: undefined },
        raw: Buffer.from('{"title":"Zen"}'),
      }),
      '/notes',
    );
    expect(payload).toEqual({
      method: 'POST',
      path: '/notes',
      query: { q: 'ai' },
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-trace': 't1' },
      body: '{"title":"Zen"}',
      json: { title: 'Zen' },
    });
  });

  it('parses +json types, keeps malformed JSON and other types as text only', () => {
    const typed = (type: string, body: string) =>
      requestPayload(request({ headers: { 'content-type': type }, raw: Buffer.from(body) }), '/');
    expect(typed('application/vnd.api+json', '[1]').json).toEqual([1]);
    expect(typed('application/json', '{broken')).not.toHaveProperty('json');
    expect(typed('text/plain', '{"a":1}')).not.toHaveProperty('json');
    expect(typed('application/jsonl', '{"a":1}')).not.toHaveProperty('json');
  });

  it('never passes cookies, nor the withheld headers', () => {
    const payload = requestPayload(request({ headers: { cookie: 'session=s', authorization: 'Bearer t', 'x-a': '1' } }), '/', [
      'authorization',
    ]);
    expect(payload.headers).toEqual({ 'x-a': '1' });
    expect(requestPayload(request({ headers: { authorization: 'Bearer t' } }), '/').headers).toEqual({ authorization: 'Bearer t' });
  });
});

describe('answerOf', () => {
  const runId = '6f1c3a52-0000-4000-8000-000000000001';

  it("answers the flow's status, headers and body, with the protective headers", () => {
    const answer = answerOf({
      ok: true,
      runId,
      result: { status: 201, headers: { 'content-type': 'application/json', 'X-Request': 'r1' }, body: '{"ok":true}' },
    });
    expect(answer).toEqual({
      status: 201,
      type: 'application/json',
      body: '{"ok":true}',
      headers: { 'x-request': 'r1', 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff' },
    });
  });

  it('drops cookies, framing and hop-by-hop headers, headers Node would refuse, and overrides of the protective ones', () => {
    const answer = answerOf({
      ok: true,
      runId,
      result: {
        status: 200,
        headers: {
          'set-cookie': 'session=stolen',
          'content-length': '1',
          connection: 'close',
          'transfer-encoding': 'chunked',
          'content-security-policy': "default-src 'self'",
          'x-split': 'a\r\nset-cookie: x=1',
          'bad name': 'v',
          'x-kept': 'yes',
        },
        body: 'hi',
      },
    });
    expect(answer.headers).toEqual({ 'x-kept': 'yes', 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff' });
    expect(answer.type).toBe('text/plain; charset=utf-8');
  });

  it('answers 204 when the handler returned nothing', () => {
    expect(answerOf({ ok: true, runId, result: undefined })).toMatchObject({ status: 204 });
  });

  it.each([
    ['a failed run', { ok: false as const, runId }],
    ['a value that is not a response', { ok: true as const, runId, result: { hello: 'world' } }],
    ['a status out of range', { ok: true as const, runId, result: { status: 700, headers: {}, body: '' } }],
    ['a body that is not text', { ok: true as const, runId, result: { status: 200, headers: {}, body: { a: 1 } } }],
  ])('answers %s with ENDPOINT_FAILED naming the run, and nothing of its error', (_what, reply) => {
    expect(() => answerOf(reply)).toThrow(expect.objectContaining({ code: 'ENDPOINT_FAILED', status: 502, details: { runId } }));
  });
});
