/** The host's side of the bridge's wire format: JSON in, `{ code, message, status?, data? }` out. */

/** `json` parsed, or undefined when it is not JSON (a guest may send anything). */
export function parse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/** A host-side failure as the guest sees it: `{ code, message, status?, data? }`, never the error object. */
export function toWire(error: unknown): { code: string; message: string; status?: number; data?: unknown } {
  const e = error as { code?: unknown; message?: unknown; status?: unknown; data?: unknown; response?: { data?: unknown } };
  const sdkCode = error instanceof Error && error.name === 'SdkError' && typeof e.code === 'string' ? e.code : undefined;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const data = sdkCode ? e.data : (e?.response?.data ?? e?.data);
  return {
    code: sdkCode ?? 'REQUEST_FAILED',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(status !== undefined ? { status } : {}),
    ...(data !== undefined ? { data: plainData(data) } : {}),
  };
}

/** A vendor's error body as plain JSON data (undefined when it cannot be serialised). */
function plainData(data: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(data) ?? 'null') as unknown;
  } catch {
    return undefined;
  }
}
