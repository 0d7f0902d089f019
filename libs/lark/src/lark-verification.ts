import { createHash, timingSafeEqual } from 'node:crypto';
import { AESCipher } from '@larksuiteoapi/node-sdk';
import { CodedError } from '@openflows/common';

/** The headers Lark signs a callback with when the app has an Encrypt Key. */
export interface LarkSignatureHeaders {
  /** `X-Lark-Request-Timestamp` (seconds). */
  timestamp?: string;
  /** `X-Lark-Request-Nonce`. */
  nonce?: string;
  /** `X-Lark-Signature`: lower-case hex. */
  signature?: string;
}

/** Whether two strings are equal, in time that does not depend on where they differ (digests of equal length). */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Whether `X-Lark-Signature` is sha256(timestamp + nonce + encryptKey + body), hex, as Lark's callback
 * security rules define it: over the raw body bytes as received. Computed here rather than with the SDK's
 * `checkIsEventValidated`, which hashes a re-serialised body (so it depends on key order and spacing)
 * and compares with `===`; this compares timing-safe.
 */
export function signatureMatches(headers: LarkSignatureHeaders, raw: Buffer, encryptKey: string): boolean {
  const { timestamp, nonce, signature } = headers;
  if (timestamp === undefined || nonce === undefined || signature === undefined) return false;
  const expected = createHash('sha256').update(`${timestamp}${nonce}${encryptKey}`).update(raw).digest('hex');
  return sameText(signature.toLowerCase(), expected);
}

/** Whether the verification token a callback carries is the app's, compared timing-safe. */
export function tokenMatches(given: unknown, verificationToken: string): boolean {
  return typeof given === 'string' && given !== '' && sameText(given, verificationToken);
}

/**
 * Opens the `encrypt` field of a callback with the SDK's own AESCipher: AES-256-CBC, key = SHA-256 of
 * the Encrypt Key, IV = the first 16 bytes of the base64-decoded value, PKCS#7 padding; UTF-8 out.
 * @throws CodedError DECRYPTION_FAILED when the value does not decrypt with this key.
 */
export function decryptText(encrypt: string, encryptKey: string): string {
  try {
    return new AESCipher(encryptKey).decrypt(encrypt);
  } catch {
    throw new CodedError('DECRYPTION_FAILED', 'the body does not decrypt with the Encrypt Key of this connection');
  }
}

/**
 * The JSON body Lark would have sent unencrypted, from a callback's `encrypt` field (see {@link decryptText}).
 * @throws CodedError DECRYPTION_FAILED when it does not decrypt with this key or is not JSON.
 */
export function decryptBody(encrypt: string, encryptKey: string): unknown {
  const text = decryptText(encrypt, encryptKey);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CodedError('DECRYPTION_FAILED', 'the decrypted body is not JSON');
  }
}
