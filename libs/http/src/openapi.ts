import type { EndpointAuth, EndpointOpenApi, EndpointOperation, HttpRequest } from '@openflows/sdk';

/** An endpoint as its published description sees it: where it is served, how it authenticates, what it offers. */
export interface PublishedEndpoint {
  /** `<PUBLIC_URL>/f/<key>`. */
  url: string;
  auth?: EndpointAuth;
  openapi: EndpointOpenApi;
}

/** The security scheme of `auth` in OpenAPI 3.1 terms, by the name the document uses for it. */
function securitySchemes(auth: EndpointAuth | undefined): Record<string, unknown> | undefined {
  if (!auth) return undefined;
  if ('bearer' in auth) return { bearer: { type: 'http', scheme: 'bearer' } };
  const { header, algorithm, prefix } = auth.hmac;
  const description = `${prefix ?? ''}HMAC-${algorithm.toUpperCase()} of the raw request body with the shared secret, ${auth.hmac.encoding ?? 'hex'}-encoded`;
  return { signature: { type: 'apiKey', in: 'header', name: header, description } };
}

/**
 * The endpoint's OpenAPI 3.1 document (served at `/f/<key>/openapi.json`): `info` from the flow's
 * title, description and version, the endpoint's URL as the one server, its operations under
 * `paths`, and the auth as a security scheme required by every operation.
 */
export function openApiDocument(endpoint: PublishedEndpoint): Record<string, unknown> {
  const { openapi } = endpoint;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of openapi.operations) paths[op.path] = { ...paths[op.path], [op.method]: op.operation };
  const schemes = securitySchemes(endpoint.auth);
  return {
    openapi: '3.1.0',
    info: {
      title: openapi.title,
      version: openapi.version ?? '1.0.0',
      ...(openapi.description ? { description: openapi.description } : {}),
    },
    servers: [{ url: endpoint.url }],
    paths,
    ...(schemes ? { components: { securitySchemes: schemes }, security: Object.keys(schemes).map((name) => ({ [name]: [] })) } : {}),
  };
}

/** `text` cut to `max` characters (the manifest's fields have published limits). */
const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The plugin manifest (`/f/<key>/.well-known/ai-plugin.json`) in the ChatGPT plugin format (schema
 * v1): names and descriptions from the title and description unless `openapi.plugin` gives them, the
 * auth (`none`, or `user_http` bearer: the user pastes the token), and the OpenAPI document's URL.
 * @returns undefined for an HMAC endpoint: no assistant can sign its requests.
 */
export function pluginManifest(endpoint: PublishedEndpoint): Record<string, unknown> | undefined {
  const { openapi, auth } = endpoint;
  if (auth && 'hmac' in auth) return undefined;
  const plugin = openapi.plugin ?? {};
  const description = openapi.description ?? openapi.title;
  return {
    schema_version: 'v1',
    name_for_human: cut(openapi.title, 20),
    name_for_model: cut(plugin.nameForModel ?? (openapi.title.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'endpoint'), 50),
    description_for_human: cut(description, 100),
    description_for_model: cut(plugin.descriptionForModel ?? description, 8000),
    auth: auth ? { type: 'user_http', authorization_type: 'bearer' } : { type: 'none' },
    api: { type: 'openapi', url: `${endpoint.url}/openapi.json` },
    logo_url: plugin.logoUrl ?? `${endpoint.url}/logo.png`,
    contact_email: plugin.contactEmail ?? '',
    legal_info_url: plugin.legalInfoUrl ?? endpoint.url,
  };
}

/** An MCP tool as `tools/list` answers it: its name, description and JSON Schema of its arguments. */
export interface McpTool {
  name: string;
  description?: string;
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[] };
}

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The operation's query, path and header parameters (cookies are never passed to flows). */
function parametersOf(op: EndpointOperation): Parameter[] {
  const list = Array.isArray(op.operation.parameters) ? (op.operation.parameters as unknown[]) : [];
  return list.filter(
    (p): p is Parameter => isObject(p) && typeof p.name === 'string' && (p.in === 'query' || p.in === 'path' || p.in === 'header'),
  );
}

/** The JSON Schema of the operation's `application/json` request body, if it has one. */
function bodySchemaOf(op: EndpointOperation): Record<string, unknown> | undefined {
  const body = op.operation.requestBody;
  const content = isObject(body) && isObject(body.content) ? body.content['application/json'] : undefined;
  return isObject(content) && isObject(content.schema) ? content.schema : undefined;
}

/**
 * Each operation as an MCP tool: named by its operationId, described by its summary and description,
 * its arguments the operation's parameters (by name) and, with a JSON request body, `body`.
 */
export function mcpTools(openapi: EndpointOpenApi): McpTool[] {
  return openapi.operations.map((op) => {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const p of parametersOf(op)) {
      properties[p.name] = { ...(p.schema ?? { type: 'string' }), ...(p.description ? { description: p.description } : {}) };
      if (p.required || p.in === 'path') required.push(p.name);
    }
    const body = bodySchemaOf(op);
    if (body) {
      properties.body = body;
      required.push('body');
    }
    const text = [op.operation.summary, op.operation.description].filter((t): t is string => typeof t === 'string' && t !== '');
    return {
      name: op.operation.operationId,
      ...(text.length > 0 ? { description: text.join('\n\n') } : {}),
      inputSchema: { type: 'object', properties, ...(required.length > 0 ? { required } : {}) },
    };
  });
}

/** A tool argument as the text of a path segment, query parameter or header. */
const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The request a call of the tool `name` with `args` stands for, as the flow receives it (see
 * HttpRequest): the operation's method, its path with the path parameters filled in, the query and
 * header parameters, and `args.body` as a JSON body.
 * @returns undefined for a tool the endpoint does not have.
 */
export function toolRequest(openapi: EndpointOpenApi, name: string, args: Record<string, unknown>): HttpRequest | undefined {
  const op = openapi.operations.find((o) => o.operation.operationId === name);
  if (!op) return undefined;
  let path = op.path;
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const p of parametersOf(op)) {
    if (args[p.name] === undefined) continue;
    const value = asText(args[p.name]);
    if (p.in === 'path') path = path.replaceAll(`{${p.name}}`, encodeURIComponent(value));
    else if (p.in === 'query') query[p.name] = value;
    else headers[p.name.toLowerCase()] = value;
  }
  const request: HttpRequest = { method: op.method.toUpperCase(), path, query, headers, body: '' };
  if (bodySchemaOf(op) && args.body !== undefined) {
    request.headers['content-type'] = 'application/json';
    request.body = JSON.stringify(args.body);
    request.json = args.body;
  }
  return request;
}
