import { CodedError, type IngressRequest } from '@openflows/common';
import { interactionKeys, ping, signedInteraction } from '@openflows/test-support/discord-interactions';
import { verifyInteraction } from './discord-ingress';

const keys = interactionKeys();

/** An interaction post as the generic ingress hands it over, signed with `keys` unless changed. */
function request(overrides: Partial<IngressRequest> = {}, timestamp?: number): IngressRequest {
  const signed = signedInteraction(ping(), keys.privateKey, timestamp);
  return { method: 'POST', path: 'c0ffee', headers: signed.headers, query: {}, raw: Buffer.from(signed.body), ...overrides };
}

/** The code `work` rejects with. */
async function codeOf(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CodedError);
  return (error as CodedError).code;
}

describe('verifyInteraction', () => {
  it('accepts what Discord signs: Ed25519 over the timestamp and the raw body, with the public key in hex', async () => {
    await expect(verifyInteraction(request(), keys.publicKey)).resolves.toBeUndefined();
  });

  it.each([
    ['another key', () => verifyInteraction(request(), interactionKeys().publicKey)],
    ['a body changed after signing', () => verifyInteraction(request({ raw: Buffer.from('{"type":2}') }), keys.publicKey)],
    ['no signature headers', () => verifyInteraction(request({ headers: {} }), keys.publicKey)],
    [
      'a signature that is not hex',
      () => verifyInteraction(request({ headers: { ...request().headers, 'x-signature-ed25519': 'zz' } }), keys.publicKey),
    ],
    ['a GET', () => verifyInteraction(request({ method: 'GET' }), keys.publicKey)],
  ])('refuses %s with SIGNATURE_INVALID', async (_what, work) => {
    expect(await codeOf(work())).toBe('SIGNATURE_INVALID');
  });

  it.each([
    ['six minutes old', -6 * 60],
    ['six minutes ahead', 6 * 60],
  ])('refuses a correctly signed interaction %s with TIMESTAMP_INVALID', async (_what, offset) => {
    const at = Math.floor(Date.now() / 1000) + offset;
    expect(await codeOf(verifyInteraction(request({}, at), keys.publicKey))).toBe('TIMESTAMP_INVALID');
  });
});
