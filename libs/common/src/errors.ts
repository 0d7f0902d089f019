/**
 * The message of anything thrown. Flow code runs in its own V8 context, so its errors are not
 * `instanceof Error` here; read `message` wherever it is.
 */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** The stack of anything thrown, when it has one. */
export function errorStack(error: unknown): string | undefined {
  const stack = typeof error === 'object' && error !== null ? (error as { stack?: unknown }).stack : undefined;
  return typeof stack === 'string' ? stack : undefined;
}
