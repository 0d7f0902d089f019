import { SdkError, type EndpointOperation, type EndpointOptions, type EventSource, type HttpResponse, type OperationMethod } from './types';

/** Endpoint names: what `http.endpoint(name)` takes and the REST API names them by. */
export const ENDPOINT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it), e.g. `{ type: 'string', description: 'search terms' }`. */
export type JsonSchema = Record<string, unknown>;

/** What {@link HttpApi.operation} builds an OpenAPI operation from. */
export interface OperationSpec {
  /** Names the operation (and its MCP tool): letters, digits, `_` and `-`. */
  operationId: string;
  summary: string;
  description?: string;
  /** The query parameters as an object schema: each property a parameter, `required` the mandatory ones. */
  query?: { type?: 'object'; properties: Record<string, JsonSchema>; required?: string[] };
  /** The JSON request body's schema. */
  body?: JsonSchema;
  /** The schema of the JSON answered with 200. */
  response?: JsonSchema;
}

/** `http` in a flow: HTTP endpoint sources and the responses their handlers return. */
export interface HttpApi {
  /**
   * The source for `listenToEvent(source, ['request'], handler)`: requests to the flow's endpoint
   * `name`, served at `<PUBLIC_URL>/f/<key>/…` for every method and sub-path (the key is random,
   * stable across redeploys, rotatable; `GET /api/flows/<flow>` lists the URL). The handler gets an
   * {@link HttpRequest} as `event.payload` and returns the response.
   * @throws SdkError INVALID_ARGUMENT for a name outside `[A-Za-z0-9_-]{1,64}` or malformed options.
   */
  endpoint(name: string, options?: EndpointOptions): EventSource;
  /** A JSON response: `body` written as JSON, `content-type: application/json`. @throws SdkError INVALID_ARGUMENT for a bad status. */
  json(status: number, body: unknown, headers?: Record<string, string>): HttpResponse;
  /** A response with these headers and this text body. @throws SdkError INVALID_ARGUMENT for a bad status, header or body. */
  response(status: number, headers: Record<string, string>, body: string): HttpResponse;
  /** An endpoint operation for `options.openapi.operations`, built from JSON Schemas. @throws SdkError INVALID_ARGUMENT */
  operation(method: OperationMethod | Uppercase<OperationMethod>, path: string, spec: OperationSpec): EndpointOperation;
}

const METHODS: readonly string[] = ['get', 'put', 'post', 'delete', 'patch'] satisfies OperationMethod[];

function invalid(message: string): never {
  throw new SdkError('INVALID_ARGUMENT', message);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function checkStatus(status: unknown): number {
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599)
    invalid(`HTTP status must be 100–599, got ${String(status)}`);
  return status as number;
}

function checkHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined) return {};
  if (!isObject(headers) || Object.values(headers).some((v) => typeof v !== 'string')) invalid('headers must be an object of strings');
  return Object.fromEntries(Object.entries(headers as Record<string, string>).map(([name, value]) => [name.toLowerCase(), value]));
}

/** @throws SdkError INVALID_ARGUMENT unless `auth` is one of EndpointAuth's shapes. */
function checkAuth(auth: unknown): void {
  if (auth === undefined) return;
  if (isObject(auth) && typeof auth.bearer === 'string' && auth.bearer !== '') return;
  const hmac = isObject(auth) ? auth.hmac : undefined;
  if (
    isObject(hmac) &&
    typeof hmac.header === 'string' &&
    hmac.header !== '' &&
    typeof hmac.secret === 'string' &&
    hmac.secret !== '' &&
    ['sha1', 'sha256', 'sha512'].includes(hmac.algorithm as string) &&
    (hmac.prefix === undefined || typeof hmac.prefix === 'string') &&
    (hmac.encoding === undefined || hmac.encoding === 'hex' || hmac.encoding === 'base64')
  ) {
    return;
  }
  invalid(
    "auth must be { bearer: '<secret name>' } or { hmac: { header, algorithm: 'sha256' | 'sha1' | 'sha512', secret, prefix?, encoding?: 'hex' | 'base64' } }",
  );
}

/** @throws SdkError INVALID_ARGUMENT unless `openapi` has a title and well-formed operations with distinct ids. */
function checkOpenApi(openapi: unknown): void {
  if (openapi === undefined) return;
  if (!isObject(openapi) || typeof openapi.title !== 'string' || !Array.isArray(openapi.operations)) {
    invalid('openapi must be { title, operations: [http.operation(...), …] }');
  }
  const ids = new Set<string>();
  for (const op of openapi.operations as unknown[]) {
    const ok = isObject(op) && METHODS.includes(op.method as string) && typeof op.path === 'string' && op.path.startsWith('/');
    const id = ok && isObject(op.operation) ? op.operation.operationId : undefined;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      invalid('each operation needs a lower-case method, a path from "/" and an operation object with an operationId of [A-Za-z0-9_-]');
    }
    if (ids.has(id)) invalid(`two operations share the operationId "${id}"`);
    ids.add(id);
  }
}

/**
 * `options` of `http.endpoint` checked, as a plain-data copy (what is stored with the subscription);
 * the platform checks stored options again with it before using them.
 * @throws SdkError INVALID_ARGUMENT unless `options` is `{ auth?, openapi? }` of the documented shapes.
 */
export function checkEndpointOptions(options: unknown): EndpointOptions {
  if (options === undefined || options === null) return {};
  if (!isObject(options)) invalid('http.endpoint options must be { auth?, openapi? }');
  checkAuth(options.auth);
  checkOpenApi(options.openapi);
  const declared = { ...(options.auth ? { auth: options.auth } : {}), ...(options.openapi ? { openapi: options.openapi } : {}) };
  // Copied through JSON: what is stored with the subscription is data, whatever the flow passed.
  return JSON.parse(JSON.stringify(declared)) as EndpointOptions;
}

/** The OpenAPI 3.1 operation object of {@link OperationSpec}. */
function operationObject(spec: OperationSpec): EndpointOperation['operation'] {
  const required = new Set(spec.query?.required ?? []);
  const parameters = Object.entries(spec.query?.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  }));
  const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body ? { requestBody: { required: true, content: json(spec.body) } } : {}),
    responses: { '200': { description: 'OK', ...(spec.response ? { content: json(spec.response) } : {}) } },
  };
}

/** The `http` namespace of the SDK; it needs no host: sources and responses are plain data. */
export const http: HttpApi = {
  endpoint(name, options) {
    if (typeof name !== 'string' || !ENDPOINT_NAME.test(name))
      invalid(`http.endpoint(name) needs a name of [A-Za-z0-9_-], got ${JSON.stringify(name)}`);
    const declared = checkEndpointOptions(options);
    const source: EventSource = { provider: 'http', target: name.toLowerCase() };
    if (Object.keys(declared).length > 0) source.options = declared as Record<string, unknown>;
    return source;
  },
  json(status, body, headers) {
    return {
      status: checkStatus(status),
      headers: { ...checkHeaders(headers), 'content-type': 'application/json' },
      body: JSON.stringify(body ?? null),
    };
  },
  response(status, headers, body) {
    if (typeof body !== 'string') invalid('http.response(status, headers, body) needs a string body');
    return { status: checkStatus(status), headers: checkHeaders(headers), body };
  },
  operation(method, path, spec) {
    const lower = typeof method === 'string' ? method.toLowerCase() : '';
    if (!METHODS.includes(lower)) invalid(`http.operation method must be one of ${METHODS.join(', ')}, got ${String(method)}`);
    if (typeof path !== 'string' || !path.startsWith('/')) invalid('http.operation path must start with "/"');
    if (!isObject(spec) || typeof spec.operationId !== 'string' || typeof spec.summary !== 'string') {
      invalid('http.operation needs { operationId, summary, query?, body?, response? }');
    }
    const built = { method: lower as OperationMethod, path, operation: operationObject(spec) };
    checkOpenApi({ title: 'check', operations: [built] });
    return built;
  },
};
