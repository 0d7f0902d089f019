import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long an OAuth `state` stays valid (ms): long enough to click through an install page. */
export const STATE_TTL_MS = 10 * 60 * 1000;

/** Thrown when a `state` is malformed, forged, signed for another purpose, or expired. */
export class StateError extends Error {
  constructor(
    readonly code: 'STATE_INVALID' | 'STATE_EXPIRED',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The key that signs OAuth `state` values, derived from the master key with HKDF-SHA256 so that it is
 * never the key that seals secrets.
 */
export function stateKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'openflows oauth state v1', 32));
}

const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/**
 * A signed, expiring OAuth `state`: `<purpose>.<expiry ms>.<nonce>.<subject>.<HMAC-SHA256>` (nonce and
 * MAC in base64url). Stateless: the callback checks it with {@link verifyState}; nothing is stored.
 * @param purpose what the state is for (e.g. `slack`), so a state issued for one flow fails another.
 * @param subject who started the flow (a user id, `[A-Za-z0-9-]`), handed back by {@link verifyState}; empty for none.
 */
export function signState(key: Buffer, purpose: string, now = Date.now(), ttlMs = STATE_TTL_MS, subject = ''): string {
  if (!/^[A-Za-z0-9-]*$/.test(subject)) throw new RangeError('a state subject is letters, digits and dashes');
  const body = `${purpose}.${now + ttlMs}.${randomBytes(16).toString('base64url')}.${subject}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/**
 * Checks a state made by {@link signState}: the MAC (timing-safe), the purpose and the expiry.
 * @returns the state's subject (empty when it was signed without one).
 * @throws StateError STATE_INVALID when malformed, forged or for another purpose; STATE_EXPIRED when late.
 */
export function verifyState(key: Buffer, purpose: string, state: unknown, now = Date.now()): string {
  const parts = typeof state === 'string' ? state.split('.') : [];
  if (parts.length !== 5) throw new StateError('STATE_INVALID', 'state is missing or malformed');
  const body = parts.slice(0, 4).join('.');
  const given = Buffer.from(parts[4], 'base64url');
  const expected = mac(key, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new StateError('STATE_INVALID', 'state was not issued by this platform');
  }
  if (parts[0] !== purpose) throw new StateError('STATE_INVALID', `state was issued for ${parts[0]}, not ${purpose}`);
  if (!(Number(parts[1]) > now)) throw new StateError('STATE_EXPIRED', 'state has expired; start the connection again');
  return parts[3];
}
