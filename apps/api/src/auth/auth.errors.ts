import { CodedError } from '@openflows/common';

/** A request needs a signed-in user and has none (401 `NOT_SIGNED_IN`); a browser is sent to `/login`. */
export class SignInRequiredError extends CodedError {
  constructor() {
    super('NOT_SIGNED_IN', 'missing or wrong API token, and no signed-in session');
  }
}

/** Too many failed sign-ins (429 `RATE_LIMITED`): `retryAfter` seconds, answered as `Retry-After` and in `details`. */
export class SignInRateLimitedError extends CodedError {
  constructor(readonly retryAfter: number) {
    super('RATE_LIMITED', `too many failed sign-ins: try again in ${retryAfter} s`, { details: { retryAfter } });
  }
}
