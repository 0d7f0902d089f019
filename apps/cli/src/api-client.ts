import { CliError } from './cli-error';

/** Where the platform runs and how to authenticate, from `OPENFLOWS_URL` and `OPENFLOWS_TOKEN`. */
export interface ApiSettings {
  /** Base URL of the platform, without a trailing slash; `http://127.0.0.1:3000` by default. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`: the platform's `API_TOKEN`. */
  token?: string;
}

/** Where `npm start` serves the platform by default. */
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/**
 * Reads {@link ApiSettings} from environment variables.
 * @throws CliError when `OPENFLOWS_URL` is not an http(s) URL.
 */
export function apiSettingsFrom(env: NodeJS.ProcessEnv): ApiSettings {
  const url = env.OPENFLOWS_URL || DEFAULT_API_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new CliError(`OPENFLOWS_URL must be an http(s) URL such as ${DEFAULT_API_URL}, got ${JSON.stringify(url)}`);
  }
  return { url: url.replace(/\/+$/, ''), token: env.OPENFLOWS_TOKEN || undefined };
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A small client of the platform's REST API (`/api/*`), speaking JSON. */
export class ApiClient {
  constructor(private readonly settings: ApiSettings) {}

  /**
   * Sends one request and returns the parsed JSON answer (`undefined` for 204).
   * @param path starting with `/api/`; callers encode path parameters.
   * @throws CliError with the API's own message for a 4xx/5xx answer (with a hint for 401), saying
   *   the platform is not running at the URL (connection refused) or cannot be reached, or that what
   *   answered is not the platform (no JSON).
   */
  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.settings.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = await response.text();
    if (!response.ok) throw new CliError(errorMessage(response.status, text));
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${this.settings.url} did not answer with JSON: is OPENFLOWS_URL the OpenFlows platform?`);
    }
  }

  private unreachable(error: unknown): CliError {
    const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const code = cause?.code ?? cause?.errors?.[0]?.code;
    if (code === 'ECONNREFUSED') {
      return new CliError(
        `the OpenFlows platform is not running at ${this.settings.url} (connection refused). ` +
          'Start it with `npm start` in the OpenFlows folder, or set OPENFLOWS_URL to where it runs.',
      );
    }
    return new CliError(`cannot reach the OpenFlows platform at ${this.settings.url}: ${cause?.message ?? (error as Error).message}`);
  }
}

/** The API's error body is `{ statusCode, message, code? }`; `message` is a list for validation errors. */
function errorMessage(status: number, text: string): string {
  let message: unknown;
  try {
    message = (JSON.parse(text) as { message?: unknown }).message;
  } catch {
    message = undefined;
  }
  const detail = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : `HTTP ${status}`;
  if (status === 401) return `${detail}: set OPENFLOWS_TOKEN to the platform's API_TOKEN`;
  return detail;
}

/** A client for the platform named by the environment. @throws CliError for a malformed OPENFLOWS_URL. */
export function apiClientFromEnv(env: NodeJS.ProcessEnv = process.env): ApiClient {
  return new ApiClient(apiSettingsFrom(env));
}
