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

/**
 * A connect route's `?code=` is unknown, used or expired (401 `CONNECT_CODE_INVALID`); a browser is
 * sent to `/login`, coming back to the connect route without the code.
 */
export class ConnectCodeInvalidError extends CodedError {
  constructor() {
    super('CONNECT_CODE_INVALID', 'the connect code is unknown, used or expired (codes last 60 s and work once): ask for a new one');
  }
}
