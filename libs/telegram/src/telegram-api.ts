import { Api, GrammyError, HttpError } from 'grammy';
import type { AppConfig } from '@openflows/common';

/**
 * How long one Bot API call may take (s). grammY's default (500 s) suits long polling, which the
 * platform does not do; a run or a connect request should fail well before that.
 */
const TIMEOUT_SECONDS = 30;

/**
 * grammY's `Api` for the bot with `token`, against `TELEGRAM_API_URL` (`<apiUrl>/bot<token>/<method>`;
 * the tests' stand-in, or api.telegram.org).
 */
export function telegramApi(config: Pick<AppConfig, 'telegram'>, token: string): Api {
  return new Api(token, { apiRoot: config.telegram.apiUrl, timeoutSeconds: TIMEOUT_SECONDS });
}

/** What a failed Bot API call tells: Telegram's `error_code` and body, or none when Telegram was not reached. */
export interface TelegramFailure {
  /** Telegram's `error_code` (it is also the HTTP status), e.g. 400, 401, 429. */
  status?: number;
  /** The error body as Telegram answered it: `{ ok: false, error_code, description, parameters? }`. */
  data?: { ok: false; error_code: number; description: string; parameters?: unknown };
  /** A sentence for people, e.g. `Bad Request: chat not found`; never the token. */
  message: string;
}

/**
 * Reads a grammY error: a `GrammyError` (Telegram answered `ok: false`) or an `HttpError` (the request
 * failed: network, timeout, a body that is not JSON; grammY keeps the token out of its message).
 * @returns undefined for any other error (a bug, not the vendor's answer).
 */
export function telegramFailure(error: unknown): TelegramFailure | undefined {
  if (error instanceof GrammyError) {
    const parameters = Object.keys(error.parameters ?? {}).length > 0 ? { parameters: error.parameters } : {};
    return {
      status: error.error_code,
      data: { ok: false, error_code: error.error_code, description: error.description, ...parameters },
      message: error.description,
    };
  }
  if (error instanceof HttpError) return { message: error.message };
  return undefined;
}
