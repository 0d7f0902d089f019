import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CryptoError, decrypt, encrypt, loadMasterKey, parseMasterKey } from './crypto';

const newKey = () => randomBytes(32);

/** Runs `work` and returns the CryptoError it throws; fails when it throws nothing or something else. */
function cryptoErrorOf(work: () => unknown): CryptoError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return error as CryptoError;
  }
  throw new Error('expected a CryptoError');
}

/** `sealed` with one byte of its `part` (1 = iv, 2 = tag, 3 = ciphertext) flipped. */
function flipByte(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[0] ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('encrypt / decrypt', () => {
  it('round-trips text, including non-ASCII and empty values', () => {
    const key = newKey();
    for (const text of ['sk-live-1234567890', 'grüße, 你好 🎉', '']) {
      expect(decrypt(key, encrypt(key, text, 'openai'), 'openai')).toBe(text);
    }
  });

  it('writes v1.<iv>.<tag>.<ciphertext> and never the plaintext', () => {
    const sealed = encrypt(newKey(), 'sk-live-1234567890', 'openai');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('sk-live');
  });

  it('uses a fresh IV per call, so equal values seal differently', () => {
    const key = newKey();
    expect(encrypt(key, 'same', 'n')).not.toBe(encrypt(key, 'same', 'n'));
  });

  it('refuses another key', () => {
    const sealed = encrypt(newKey(), 'secret', 'openai');
    expect(cryptoErrorOf(() => decrypt(newKey(), sealed, 'openai')).code).toBe('CIPHERTEXT_INVALID');
  });

  it('refuses other associated data (a value copied under another name)', () => {
    const key = newKey();
    const sealed = encrypt(key, 'secret', 'openai');
    expect(cryptoErrorOf(() => decrypt(key, sealed, 'anthropic')).code).toBe('CIPHERTEXT_INVALID');
  });

  it.each([
    ['iv', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ] as const)('refuses a tampered %s', (_part, index) => {
    const key = newKey();
    const sealed = encrypt(key, 'secret value', 'openai');
    expect(cryptoErrorOf(() => decrypt(key, flipByte(sealed, index), 'openai')).code).toBe('CIPHERTEXT_INVALID');
  });

  it.each(['', 'plain text', 'v2.a.b.c', 'v1.only-iv', 'v1.iv.tag'])('refuses the malformed value %j', (sealed) => {
    expect(cryptoErrorOf(() => decrypt(newKey(), sealed, 'openai')).code).toBe('CIPHERTEXT_INVALID');
  });
});

describe('parseMasterKey', () => {
  const bytes = randomBytes(32);

  it('reads 64 hex digits, either case', () => {
    expect(parseMasterKey(bytes.toString('hex'))).toEqual(bytes);
    expect(parseMasterKey(bytes.toString('hex').toUpperCase())).toEqual(bytes);
  });

  it('reads base64 and ignores surrounding whitespace', () => {
    expect(parseMasterKey(bytes.toString('base64'))).toEqual(bytes);
    expect(parseMasterKey(`  ${bytes.toString('base64')}\n`)).toEqual(bytes);
  });

  it.each([
    ['too short hex', randomBytes(16).toString('hex')],
    ['too long base64', randomBytes(48).toString('base64')],
    ['empty', ''],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses %s', (_what, text) => {
    expect(cryptoErrorOf(() => parseMasterKey(text)).code).toBe('MASTER_KEY_INVALID');
  });
});

describe('loadMasterKey', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'openflows-key-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prefers the configured MASTER_KEY and writes no file', () => {
    const bytes = randomBytes(32);
    expect(loadMasterKey({ masterKey: bytes.toString('hex'), dataDir })).toEqual(bytes);
    expect(() => statSync(join(dataDir, 'master.key'))).toThrow(/ENOENT/);
  });

  it('generates a key once into <DATA_DIR>/master.key with mode 0600 and reuses it', () => {
    const nested = join(dataDir, 'not', 'yet', 'there');
    const first = loadMasterKey({ dataDir: nested });
    const file = join(nested, 'master.key');

    expect(first).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseMasterKey(readFileSync(file, 'utf8'))).toEqual(first);
    expect(loadMasterKey({ dataDir: nested })).toEqual(first);
  });

  it('keeps ciphertexts readable across restarts', () => {
    const sealed = encrypt(loadMasterKey({ dataDir }), 'value', 'name');
    expect(decrypt(loadMasterKey({ dataDir }), sealed, 'name')).toBe('value');
  });

  it('refuses a malformed stored key instead of replacing it', () => {
    writeFileSync(join(dataDir, 'master.key'), 'garbage');
    expect(cryptoErrorOf(() => loadMasterKey({ dataDir })).code).toBe('MASTER_KEY_INVALID');
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).toBe('garbage');
  });
});
