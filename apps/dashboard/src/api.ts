/**
 * The dashboard's only way to the platform: the public HTTP API (the README's "REST API"; its shapes
 * are the types generated from the OpenAPI description, libs/api-types), called with the session cookie. Every state-changing request carries the
 * `X-CSRF-Token` header from `GET /auth/session` (or the login/setup answer); error bodies
 * `{ statusCode, code, message }` become an {@link ApiError} with a message a person can read; a 401
 * (signed out, session expired) sends the browser to /login through {@link onSignedOut}.
 */

import type {
  ConnectFieldView,
  ConnectionView,
  DeploymentDetailView,
  DeploymentView,
  EventDetailView,
  EventSummaryView,
  FlowVariableView,
  FlowView,
  LlmUsageView,
  ProviderView,
  RunDetailView,
  RunLogView,
  RunView,
  SecretView,
  SubscriptionView,
  TokenView,
} from '../../../libs/api-types/src';

export type User = { id: string; login: string; provider: 'github' | 'local'; admin: boolean };
export type Session = { user: User; csrfToken: string };
export type AuthOptions = { github: boolean; setupRequired: boolean; setupTokenRequired: boolean };

export type FlowStatus = FlowView['status'];
export type DeploymentStatus = DeploymentView['status'];
export type DeploymentSource = DeploymentView['source'];
export type Deployment = DeploymentView & { buildLog?: DeploymentDetailView['buildLog'] };
export type Variable = FlowVariableView;
export type Subscription = SubscriptionView;
export type Flow = FlowView;

/** A secret a flow declares it needs (package.json `openflows.secrets`); `variable`, when given, names it instead. */
export type DeclaredSecret = { name: string; description?: string; variable?: string };

export type RunStatus = RunView['status'];
export type RunEvent = EventSummaryView & { payload?: EventDetailView['payload'] };
export type Run = RunView;
/** A flow's LLM use: per day (oldest first), this month's tokens and the monthly budget (`null`: none). */
export type LlmUsage = LlmUsageView;
export type LogLine = RunLogView;
export type RunDetail = RunDetailView;

// `unregistered` is no status the API sends (see ConnectionView); pages/connections.tsx still has a case for it.
export type Connection = Omit<ConnectionView, 'status'> & { status: ConnectionView['status'] | 'unregistered' };
export type ConnectField = ConnectFieldView;
/** What a provider's connection card shows (GET /api/providers). */
export type Provider = ProviderView;
export type Secret = SecretView;
export type ApiToken = TokenView;

/** A failed call: HTTP status, the platform's stable `code`, and a sentence for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;
let signedOut: (() => void) | undefined;

/** Called when an API call answers 401 (the layout navigates to /login). */
export function onSignedOut(handler: () => void): void {
  signedOut = handler;
}

/** Remembers the CSRF token from a session, login or setup answer. */
export function rememberSession(session: Session | undefined): void {
  csrfToken = session?.csrfToken;
}

const plainMessages: Record<number, string> = {
  400: 'The platform could not accept that request.',
  401: 'You are signed out. Sign in again to continue.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That conflicts with something that already exists.',
  413: 'That is too large for the platform to accept.',
  429: 'Too many attempts. Wait a moment and try again.',
  500: 'The platform had an internal error. Try again; if it keeps happening, check the server log.',
  502: 'The platform could not reach a service it depends on.',
  503: 'The platform is not ready (a service it needs is unavailable). Try again in a moment.',
};

async function toError(res: Response): Promise<ApiError> {
  let body: any;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const raw = body?.message;
  const message = Array.isArray(raw) ? raw.join('. ') : typeof raw === 'string' && raw ? raw : plainMessages[res.status];
  const retryAfter = Number(res.headers.get('retry-after')) || undefined;
  return new ApiError(res.status, body?.code ?? `HTTP_${res.status}`, message ?? `The platform answered ${res.status}.`, retryAfter);
}

async function ensureCsrf(): Promise<string | undefined> {
  if (csrfToken) return csrfToken;
  const res = await fetch('/auth/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.ok) csrfToken = ((await res.json()) as Session).csrfToken;
  return csrfToken;
}

type RequestOptions = { body?: unknown; form?: FormData; quiet401?: boolean };

/**
 * One call to the platform. JSON in and out; `form` sends multipart instead. Resolves with the parsed
 * body (undefined for 204).
 * @throws ApiError with a plain message; on 401 also calls the signed-out handler unless `quiet401`.
 */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    const token = await ensureCsrf();
    if (token) headers['x-csrf-token'] = token;
  }
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the platform. Check your connection and that the server is running.');
  }
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401 && !options.quiet401) {
      csrfToken = undefined;
      signedOut?.();
    }
    // A stale CSRF token (the session was renewed elsewhere): forget it so the next try fetches it again.
    if (res.status === 403 && error.code === 'CSRF') csrfToken = undefined;
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const enc = encodeURIComponent;
const query = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

/** The platform's routes the dashboard uses, one function each. */
export const api = {
  options: () => request<AuthOptions>('GET', '/auth/options', { quiet401: true }),
  session: () => request<Session>('GET', '/auth/session', { quiet401: true }),
  login: (login: string, password: string) => request<Session>('POST', '/auth/login', { body: { login, password }, quiet401: true }),
  setup: (login: string, password: string, setupToken?: string) =>
    request<Session>('POST', '/auth/setup', { body: { login, password, setupToken }, quiet401: true }),
  logout: () => request<void>('POST', '/auth/logout', { quiet401: true }),

  flows: () => request<Flow[]>('GET', '/api/flows'),
  flow: (name: string) => request<Flow>('GET', `/api/flows/${enc(name)}`),
  inspectGit: (source: { url: string; branch?: string; path?: string }) =>
    request<{ name?: string; variables: Record<string, Variable>; secrets: DeclaredSecret[] }>('POST', '/api/flows/inspect-git', {
      body: source,
    }),
  deployGit: (body: { name: string; url: string; branch?: string; path?: string; env?: Record<string, string> }) =>
    request<Flow>('POST', '/api/flows/git', { body }),
  deployUpload: (form: FormData) => request<Flow>('POST', '/api/flows/upload', { form }),
  redeploy: (name: string, env?: Record<string, string>) =>
    request<Flow>('POST', `/api/flows/${enc(name)}/redeploy`, { body: env ? { env } : {} }),
  pause: (name: string) => request<Flow>('POST', `/api/flows/${enc(name)}/pause`),
  resume: (name: string) => request<Flow>('POST', `/api/flows/${enc(name)}/resume`),
  undeploy: (name: string) => request<void>('DELETE', `/api/flows/${enc(name)}`),
  purge: (name: string) => request<void>('DELETE', `/api/flows/${enc(name)}?purge=true`),
  llmUsage: (name: string, days = 7) => request<LlmUsage>('GET', `/api/flows/${enc(name)}/llm-usage?days=${days}`),
  deployments: (name: string) => request<Deployment[]>('GET', `/api/flows/${enc(name)}/deployments`),
  deployment: (name: string, version: number) => request<Deployment>('GET', `/api/flows/${enc(name)}/deployments/${version}`),

  runs: (filter: { status?: string; flow?: string; limit?: number; before?: string }) => request<Run[]>('GET', `/api/runs${query(filter)}`),
  flowRuns: (name: string, filter: { status?: string; limit?: number; before?: string } = {}) =>
    request<Run[]>('GET', `/api/flows/${enc(name)}/runs${query(filter)}`),
  run: (id: string) => request<RunDetail>('GET', `/api/runs/${enc(id)}`),
  replayRun: (id: string) => request<{ runs: Run[] }>('POST', `/api/runs/${enc(id)}/replay`),
  replayRuns: (ids: string[]) => request<{ runs: Run[] }>('POST', '/api/runs/replay', { body: { ids } }),
  replayEvent: (id: string) => request<{ runs: Run[] }>('POST', `/api/events/${enc(id)}/replay`),

  connections: () => request<Connection[]>('GET', '/api/connections'),
  providers: () => request<Provider[]>('GET', '/api/providers'),
  connect: (provider: string, body: Record<string, string>) => request<Connection>('POST', `/api/connections/${enc(provider)}`, { body }),
  disconnect: (id: string) => request<void>('DELETE', `/api/connections/${enc(id)}`),

  secrets: () => request<Secret[]>('GET', '/api/secrets'),
  putSecret: (name: string, body: { value: string; kind?: 'llm' | 'generic'; baseURL?: string; model?: string }) =>
    request<Secret>('PUT', `/api/secrets/${enc(name)}`, { body }),
  deleteSecret: (name: string) => request<void>('DELETE', `/api/secrets/${enc(name)}`),
  checkSecret: (name: string) => request<Secret>('POST', `/api/secrets/${enc(name)}/check`),

  tokens: () => request<ApiToken[]>('GET', '/api/tokens'),
  createToken: (name: string) => request<ApiToken & { token: string }>('POST', '/api/tokens', { body: { name } }),
  revokeToken: (id: string) => request<void>('DELETE', `/api/tokens/${enc(id)}`),
};

/** Server-sent events URLs (same origin: the session cookie goes along). */
export const streams = {
  runs: (flow?: string) => `/api/runs/stream${query({ flow })}`,
  run: (id: string) => `/api/runs/${enc(id)}/stream`,
};

/** The message to show for anything thrown by an API call. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
