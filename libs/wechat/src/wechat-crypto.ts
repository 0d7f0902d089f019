import { randomBytes, timingSafeEqual } from 'node:crypto';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { CodedError } from '@openflows/common';

/**
 * WeChat's request signature (Access Overview; Technical Plan for safe mode): the SHA-1 hex digest of
 * `token`, `timestamp`, `nonce` and, in safe mode, the `Encrypt` field, sorted as strings and
 * concatenated. Without `encrypted` it is the three-string form of the URL check and of `signature`.
 */
export function signatureOf(token: string, timestamp: string, nonce: string, encrypted = ''): string {
  // @wecom/crypto signs four strings; an empty fourth sorts first and adds nothing to the concatenation.
  return getSignature(token, timestamp, nonce, encrypted);
}

/** Whether `given` (a query parameter, maybe missing) is `expected`, compared in constant time. */
export function signatureMatches(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An EncodingAESKey as the console makes them: 43 letters and digits, the base64 of a 32-byte AES key without its `=`. */
export function isEncodingAesKey(value: string): boolean {
  return /^[A-Za-z0-9]{43}$/.test(value) && Buffer.from(`${value}=`, 'base64').length === 32;
}

/**
 * The plaintext XML of a safe-mode push's `Encrypt` field: AES-256-CBC under
 * `Base64_Decode(EncodingAESKey + "=")`, IV its first 16 bytes, PKCS#7 to 32 bytes, laid out as
 * `random(16) + length(4, big-endian) + message + AppID` (Technical Plan; @wecom/crypto implements it).
 * @throws CodedError DECRYPTION_FAILED when it does not decrypt or names another AppID than `appId`.
 */
export function decryptMessage(encodingAesKey: string, appId: string, encrypted: string): string {
  let opened: { message: string; id: string };
  try {
    opened = decrypt(encodingAesKey, encrypted);
  } catch {
    throw new CodedError('DECRYPTION_FAILED', 'Encrypt does not decrypt with the EncodingAESKey of this connection');
  }
  if (opened.id !== appId) throw new CodedError('DECRYPTION_FAILED', 'Encrypt was sealed for another AppID');
  return opened.message;
}

/** The parts of an encrypted passive reply (safe mode), as {@link encryptedReplyFields} returns them. */
export interface EncryptedReply {
  Encrypt: string;
  MsgSignature: string;
  TimeStamp: string;
  Nonce: string;
}

/**
 * A reply `xml` sealed for safe mode: `Encrypt` as in {@link decryptMessage} (sealed for `appId`), and
 * `MsgSignature` over `token`, its own `TimeStamp` (seconds) and `Nonce`, and `Encrypt`.
 */
export function encryptedReplyFields(encodingAesKey: string, appId: string, token: string, xml: string, now = Date.now()): EncryptedReply {
  const sealed = encrypt(encodingAesKey, xml, appId);
  const timestamp = String(Math.floor(now / 1000));
  const nonce = String(randomBytes(4).readUInt32BE(0));
  return { Encrypt: sealed, MsgSignature: signatureOf(token, timestamp, nonce, sealed), TimeStamp: timestamp, Nonce: nonce };
}
