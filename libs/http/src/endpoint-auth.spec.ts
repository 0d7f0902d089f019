import { createHmac } from 'node:crypto';
import { bearerMatches, hmacMatches, sameText } from './endpoint-auth';

const BODY = Buffer.from('{"zen":"Design for failure."}');
const SECRET = 'hmac-secret-of-the-endpoint';
/** GitHub's X-Hub-Signature-256 form: `sha256=` + hex of HMAC-SHA256 over the body. */
const GITHUB_STYLE = { header: 'x-hub-signature-256', algorithm: 'sha256', secret: 'sig', prefix: 'sha256=' } as const;

describe('sameText', () => {
  it('is true only for equal strings, whatever their lengths', () => {
    expect(sameText('token-1', 'token-1')).toBe(true);
    expect(sameText('token-1', 'token-2')).toBe(false);
    expect(sameText('token', 'token-but-longer')).toBe(false);
    expect(sameText('', '')).toBe(true);
  });
});

describe('bearerMatches', () => {
  it.each([
    ['Bearer plugin-token-123', true],
    ['bearer plugin-token-123', true],
    ['Bearer  plugin-token-123 ', true],
    ['Bearer plugin-token-12', false],
    ['Basic plugin-token-123', false],
    ['plugin-token-123', false],
    ['Bearer ', false],
  ])('%p → %p', (header, expected) => {
    expect(bearerMatches(header, 'plugin-token-123')).toBe(expected);
  });

  it('refuses a missing header and an empty expected token', () => {
    expect(bearerMatches(undefined, 'plugin-token-123')).toBe(false);
    expect(bearerMatches('Bearer x', '')).toBe(false);
  });
});

describe('hmacMatches', () => {
  const hex = createHmac('sha256', SECRET).update(BODY).digest('hex');

  it('accepts prefix + hex HMAC of the exact body, in either case', () => {
    expect(hmacMatches(BODY, `sha256=${hex}`, GITHUB_STYLE, SECRET)).toBe(true);
    expect(hmacMatches(BODY, `sha256=${hex.toUpperCase()}`, GITHUB_STYLE, SECRET)).toBe(true);
  });

  it('refuses another body, another secret, a missing prefix or header', () => {
    expect(hmacMatches(Buffer.from(`${BODY.toString()} `), `sha256=${hex}`, GITHUB_STYLE, SECRET)).toBe(false);
    expect(hmacMatches(BODY, `sha256=${hex}`, GITHUB_STYLE, 'another-secret')).toBe(false);
    expect(hmacMatches(BODY, hex, GITHUB_STYLE, SECRET)).toBe(false);
    expect(hmacMatches(BODY, undefined, GITHUB_STYLE, SECRET)).toBe(false);
    expect(hmacMatches(BODY, `sha256=${hex}`, GITHUB_STYLE, '')).toBe(false);
  });

  it('speaks base64 and the other algorithms, without a prefix', () => {
    const spec = { header: 'x-signature', algorithm: 'sha512', secret: 'sig', encoding: 'base64' } as const;
    const b64 = createHmac('sha512', SECRET).update(BODY).digest('base64');
    expect(hmacMatches(BODY, b64, spec, SECRET)).toBe(true);
    expect(hmacMatches(BODY, b64.toLowerCase(), spec, SECRET)).toBe(false);
    const sha1 = { header: 'x-signature', algorithm: 'sha1', secret: 'sig' } as const;
    expect(hmacMatches(BODY, createHmac('sha1', SECRET).update(BODY).digest('hex'), sha1, SECRET)).toBe(true);
  });
});
