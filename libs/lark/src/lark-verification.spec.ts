import { larkCallback } from '@openflows/test-support/lark-stand-in';
import { decryptBody, decryptText, signatureMatches, tokenMatches } from './lark-verification';

const KEY = 'e2e-encrypt-key';
const EVENT = { schema: '2.0', header: { event_id: 'e1', token: 'v-token' }, event: { message: { text: '你好' } } };

/** The signature headers of a callback as `larkCallback` sends them (lower-case names, as the ingress reads them). */
const signatureOf = (headers: Record<string, string>) => ({
  timestamp: headers['x-lark-request-timestamp'],
  nonce: headers['x-lark-request-nonce'],
  signature: headers['x-lark-signature'],
});

describe('decryptText / decryptBody', () => {
  test("opens the decryption example of Lark's event subscription docs (Encrypt Key `test key`)", () => {
    expect(decryptText('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
  });

  test('opens a body encrypted as Lark encrypts it (random IV, key = SHA-256 of the Encrypt Key)', () => {
    const { encrypt } = JSON.parse(larkCallback(EVENT, KEY).body) as { encrypt: string };
    expect(decryptBody(encrypt, KEY)).toEqual(EVENT);
  });

  test.each([
    ['another key', () => JSON.parse(larkCallback(EVENT, 'not-the-key').body).encrypt as string],
    ['a value that is not base64 ciphertext', () => 'bm90IGNpcGhlcnRleHQ='],
  ])('refuses %s with DECRYPTION_FAILED', (_what, encrypt) => {
    expect(() => decryptBody(encrypt(), KEY)).toThrow(expect.objectContaining({ code: 'DECRYPTION_FAILED', status: 400 }));
  });

  test('refuses a decrypted value that is not JSON', () => {
    expect(() => decryptBody('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toThrow(
      expect.objectContaining({ code: 'DECRYPTION_FAILED' }),
    );
  });
});

describe('signatureMatches', () => {
  const signed = larkCallback(EVENT, KEY);
  const raw = Buffer.from(signed.body);

  test('accepts sha256(timestamp + nonce + Encrypt Key + raw body), in either case of hex', () => {
    const headers = signatureOf(signed.headers);
    expect(signatureMatches(headers, raw, KEY)).toBe(true);
    expect(signatureMatches({ ...headers, signature: headers.signature.toUpperCase() }, raw, KEY)).toBe(true);
  });

  test('refuses another key, an altered body, timestamp or nonce, and missing headers', () => {
    const headers = signatureOf(signed.headers);
    expect(signatureMatches(headers, raw, 'not-the-key')).toBe(false);
    expect(signatureMatches(headers, Buffer.from(signed.body.replace('"}', ' "}')), KEY)).toBe(false);
    expect(signatureMatches({ ...headers, timestamp: String(Number(headers.timestamp) + 1) }, raw, KEY)).toBe(false);
    expect(signatureMatches({ ...headers, nonce: `${headers.nonce}0` }, raw, KEY)).toBe(false);
    expect(signatureMatches({ ...headers, signature: undefined }, raw, KEY)).toBe(false);
    expect(signatureMatches({ ...headers, nonce: undefined }, raw, KEY)).toBe(false);
  });
});

describe('tokenMatches', () => {
  test('is true only for the very token', () => {
    expect(tokenMatches('v-token', 'v-token')).toBe(true);
    expect(tokenMatches('v-token2', 'v-token')).toBe(false);
    expect(tokenMatches('', 'v-token')).toBe(false);
    expect(tokenMatches(undefined, 'v-token')).toBe(false);
    expect(tokenMatches(42, 'v-token')).toBe(false);
  });
});
