import { randomBytes } from 'node:crypto';
import { STATE_TTL_MS, StateError, signState, stateKey, verifyState } from './signed-state';

const key = stateKey(randomBytes(32));

function codeOf(work: () => void): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(StateError);
    return (error as StateError).code;
  }
  return 'none';
}

describe('signed OAuth state', () => {
  const now = 1_700_000_000_000;

  it('accepts its own state within the expiry', () => {
    const state = signState(key, 'slack', now);
    expect(() => verifyState(key, 'slack', state, now + STATE_TTL_MS - 1)).not.toThrow();
  });

  it('differs on every call (a nonce), so states cannot be predicted', () => {
    expect(signState(key, 'slack', now)).not.toBe(signState(key, 'slack', now));
  });

  it('rejects an expired state with STATE_EXPIRED', () => {
    expect(codeOf(() => verifyState(key, 'slack', signState(key, 'slack', now), now + STATE_TTL_MS))).toBe('STATE_EXPIRED');
  });

  it('rejects a state whose expiry was pushed back (the MAC covers it)', () => {
    const [purpose, , nonce, subject, mac] = signState(key, 'slack', now).split('.');
    const pushed = [purpose, now + 10 * STATE_TTL_MS, nonce, subject, mac].join('.');
    expect(codeOf(() => verifyState(key, 'slack', pushed, now))).toBe('STATE_INVALID');
  });

  it('hands back the subject it was signed for, and refuses one swapped for another user', () => {
    const state = signState(key, 'github', now, STATE_TTL_MS, 'user-a');
    expect(verifyState(key, 'github', state, now)).toBe('user-a');
    const [purpose, expiry, nonce, , mac] = state.split('.');
    expect(codeOf(() => verifyState(key, 'github', [purpose, expiry, nonce, 'user-b', mac].join('.'), now))).toBe('STATE_INVALID');
  });

  it.each([
    ['another key', () => signState(stateKey(randomBytes(32)), 'slack', now)],
    ['another purpose', () => signState(key, 'github', now)],
    ['no state', () => undefined],
    ['a malformed state', () => 'slack.1.2'],
    ['a truncated MAC', () => signState(key, 'slack', now).slice(0, -4)],
  ])('rejects %s with STATE_INVALID', (_what, make) => {
    expect(codeOf(() => verifyState(key, 'slack', make(), now))).toBe('STATE_INVALID');
  });

  it('derives a signing key unlike the master key', () => {
    const master = randomBytes(32);
    expect(stateKey(master).equals(master)).toBe(false);
    expect(stateKey(master).equals(stateKey(master))).toBe(true);
  });
});
