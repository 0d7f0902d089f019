import { ConfigError } from './config';

/**
 * Every `code` the HTTP API answers with, and the status it is answered with. Clients (the dashboard,
 * the CLI, scripts) match on these strings: keep them, add new ones rather than renaming.
 */
export const ERROR_CODES = {
  // Sign-in, sessions and personal API tokens.
  NOT_SIGNED_IN: 401,
  BAD_TOKEN: 401,
  BAD_CREDENTIALS: 401,
  CSRF: 403,
  SETUP_DISABLED: 403,
  SETUP_TOKEN: 403,
  SETUP_DONE: 409,
  RATE_LIMITED: 429,
  API_TOKEN_NOT_FOUND: 404,
  CONNECT_CODE_INVALID: 401,
  // Flows and their deployments; the FLOW_* failures of a build or deploy are FlowDeployError's codes.
  FLOW_NOT_FOUND: 404,
  DEPLOYMENT_NOT_FOUND: 404,
  FLOW_INVALID: 400,
  FLOW_BUILD_FAILED: 400,
  FLOW_RUN_FAILED: 400,
  FLOW_SOURCE_INVALID: 400,
  ENV_INVALID: 400,
  UPLOAD_TOO_LARGE: 413,
  // Runs, events and replays.
  RUN_NOT_FOUND: 404,
  EVENT_NOT_FOUND: 404,
  FLOW_NOT_DEPLOYED: 409,
  FLOW_PAUSED: 409,
  // Connections (GitHub tokens) and named secrets.
  TOKEN_MISSING: 400,
  TOKEN_INVALID: 400,
  TOKEN_SCOPE: 400,
  TOKEN_TAKEN: 409,
  CONNECTION_NOT_FOUND: 404,
  SECRET_NAME_INVALID: 400,
  SECRET_NOT_FOUND: 404,
  // Providers: connecting an account through the API (`POST /api/connections/<provider>`).
  PROVIDER_UNKNOWN: 404,
  CONNECT_INVALID: 400,
  CREDENTIALS_INVALID: 400,
  CONNECTION_TAKEN: 409,
  VENDOR_FAILED: 502,
  // Webhooks (every provider's ingress).
  NOT_CONFIGURED: 503,
  SIGNATURE_INVALID: 401,
  TIMESTAMP_INVALID: 401,
  BODY_MALFORMED: 400,
  DELIVERY_MALFORMED: 400,
  DECRYPTION_FAILED: 400,
  EVENT_NOT_QUEUED: 503,
  // HTTP endpoint flows (`/f/<key>/…`).
  ENDPOINT_NOT_FOUND: 404,
  ENDPOINT_PAUSED: 503,
  ENDPOINT_UNAUTHORIZED: 401,
  ENDPOINT_FAILED: 502,
  ENDPOINT_TIMEOUT: 504,
  // Web chats (`/chat/<key>`, the visitors' page, and their keys in the API).
  WEB_CHAT_NOT_FOUND: 404,
  WEB_CHAT_CLOSED: 503,
  WEB_CHAT_LOCKED: 401,
  WEB_CHAT_PASSWORD_WRONG: 401,
  WEB_CHAT_INVALID: 400,
  WEB_CHAT_AUDIO_INVALID: 415,
  WEB_CHAT_TRANSCRIPTION_FAILED: 502,
  // Request bodies body-parser refused, under its own `type`s (answered so before codes were gathered here).
  'entity.parse.failed': 400,
  'entity.too.large': 413,
  'request.aborted': 400,
  'request.size.invalid': 400,
  'encoding.unsupported': 415,
  'charset.unsupported': 415,
  BAD_REQUEST: 400,
  // The platform itself.
  REDIS_UNREACHABLE: 503,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
} as const satisfies Record<string, number>;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `value` is one of {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** What a CodedError carries besides its code and message. */
export interface CodedErrorOptions {
  /** Machine-readable facts about the failure (answered as `details`), e.g. `{ retryAfter: 30 }`. */
  details?: Record<string, unknown>;
  /** The error this one stands for (logged, never answered). */
  cause?: unknown;
}

/**
 * A failure with a stable `code` and the HTTP `status` the code is answered with (from ERROR_CODES);
 * the message is a sentence for people. The api answers it as `{ statusCode, code, message, details? }`.
 */
export class CodedError extends Error {
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: CodedErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.status = ERROR_CODES[code];
    this.details = options.details;
  }
}

/**
 * `error` as a CodedError: itself when it is one, CONFIG_INVALID for a ConfigError, INTERNAL for
 * anything else. The two last keep `error` as their `cause` and say nothing of it in their message,
 * which may reach a client. Errors of other libraries are mapped where those libraries are known
 * (the api's `asApiError`).
 */
export function asCodedError(error: unknown): CodedError {
  if (error instanceof CodedError) return error;
  if (error instanceof ConfigError) return new CodedError('CONFIG_INVALID', 'the server is misconfigured: see its log', { cause: error });
  return new CodedError('INTERNAL', 'internal error', { cause: error });
}
