import { errorMessage } from '@openflows/common';

/** Lark's answer body: `code` 0 on success, else one of its error codes with `msg`. */
export interface LarkAnswer {
  code?: unknown;
  msg?: unknown;
}

/** A failed call to the Open Platform: the HTTP status and Lark's body when it answered, else why not. */
export interface LarkFailure {
  /** Absent when Lark could not be reached. */
  status?: number;
  data?: unknown;
  message: string;
}

/** Whether an answer body reports success (`code: 0`); bodies without a `code` count as success. */
export function succeeded(answer: unknown): boolean {
  const code = (answer as LarkAnswer | null)?.code;
  return code === undefined || code === 0;
}

/** Lark's `msg` (with its code) of an answer body, for messages to people. */
export function describeAnswer(answer: unknown): string {
  const { code, msg } = (answer ?? {}) as LarkAnswer;
  return `${typeof msg === 'string' ? msg : 'no message'} (code ${String(code)})`;
}

/**
 * What a rejected SDK call tells: the SDK's HTTP client (axios) rejects non-2xx answers with the
 * response (`status`, `data` = Lark's `{code, msg}`) and unreachable hosts without one. Only those two
 * fields are read: the error's request configuration holds the credentials it sent.
 */
export function larkFailure(error: unknown): LarkFailure {
  const response = (error as { response?: { status?: unknown; data?: unknown } } | null)?.response;
  if (response && typeof response.status === 'number') {
    return { status: response.status, data: response.data, message: describeAnswer(response.data) };
  }
  return { message: errorMessage(error) };
}
