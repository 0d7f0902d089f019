import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './config';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/** Thrown when the master key is missing or malformed, or a ciphertext fails authentication. */
export class CryptoError extends Error {
  constructor(
    readonly code: 'MASTER_KEY_INVALID' | 'CIPHERTEXT_INVALID',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decodes `MASTER_KEY`: 32 bytes written as 64 hex digits or as base64.
 * @throws CryptoError MASTER_KEY_INVALID for any other length or alphabet.
 */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new CryptoError('MASTER_KEY_INVALID', 'MASTER_KEY must be 32 bytes, as 64 hex digits or base64');
  }
  return key;
}

/**
 * The master key for secrets at rest. In production it must come from `MASTER_KEY`; in development a
 * missing key is generated once into `<DATA_DIR>/master.key` (mode 0600) so a newcomer needs no setup.
 * @throws CryptoError MASTER_KEY_INVALID when the configured or stored key is malformed.
 */
export function loadMasterKey(config: Pick<AppConfig, 'masterKey' | 'dataDir'>): Buffer {
  if (config.masterKey) return parseMasterKey(config.masterKey);
  const file = join(config.dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    // 'wx' so that two processes starting together cannot both generate (and disagree on) a key.
    try {
      writeFileSync(file, randomBytes(KEY_BYTES).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    chmodSync(file, 0o600);
  }
  return parseMasterKey(readFileSync(file, 'utf8'));
}

/**
 * AES-256-GCM with a random 96-bit IV per value. Output: `v1.<iv>.<tag>.<ciphertext>` in base64url.
 * @param associatedData binds the ciphertext to where it is stored (e.g. the secret's name), so a
 *   value copied under another name fails to decrypt.
 */
export function encrypt(key: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/**
 * Reverses {@link encrypt}.
 * @throws CryptoError CIPHERTEXT_INVALID when the format, the key or the associated data do not match.
 */
export function decrypt(key: Buffer, sealed: string, associatedData: string): string {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
    throw new CryptoError('CIPHERTEXT_INVALID', 'not a value sealed by this platform');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new CryptoError('CIPHERTEXT_INVALID', 'value failed authentication (wrong MASTER_KEY or tampered data)');
  }
}
