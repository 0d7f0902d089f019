import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EndpointAuth } from '@openflows/sdk';

/** The HMAC form of {@link EndpointAuth}. */
export type HmacAuth = Extract<EndpointAuth, { hmac: unknown }>['hmac'];

/**
 * Whether two strings are equal, in time that depends on neither: their SHA-256 digests (same length
 * whatever the inputs) are compared with `crypto.timingSafeEqual`.
 */
export function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether `authorization` (the header's value) is `Bearer <token>` for `token` (the scheme case-insensitive, RFC 6750). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  return presented !== undefined && token !== '' && sameText(presented, token);
}

/**
 * Whether `signature` (the value of `spec.header`) is `spec.prefix` + HMAC(`spec.algorithm`, `secret`,
 * `raw`) in `spec.encoding` (hex by default; hex compared case-insensitively), computed over the exact
 * bytes received.
 */
export function hmacMatches(raw: Buffer, signature: string | undefined, spec: HmacAuth, secret: string): boolean {
  if (signature === undefined || secret === '') return false;
  const encoding = spec.encoding ?? 'hex';
  const expected = `${spec.prefix ?? ''}${createHmac(spec.algorithm, secret).update(raw).digest(encoding)}`;
  const presented = signature.trim();
  return encoding === 'hex' ? sameText(presented.toLowerCase(), expected.toLowerCase()) : sameText(presented, expected);
}
