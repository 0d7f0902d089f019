import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage, type IngressAnswer, type IngressRequest } from '@openflows/common';
import type { EndpointOpenApi, HttpRequest } from '@openflows/sdk';
import { answerOf, type EndpointReply } from './exchange';
import { mcpTools, toolRequest } from './openapi';

/** Runs the endpoint's flow for one request and gives its reply (HttpIngress.call, bound to the endpoint). */
export type CallFlow = (request: HttpRequest) => Promise<EndpointReply>;

/** What the MCP server says it is: the endpoint's title and version. */
function serverInfo(openapi: EndpointOpenApi) {
  return { name: openapi.title, version: openapi.version ?? '1.0.0' };
}

/**
 * The result of calling tool `name`: the flow's response body as text, `isError` for a status of 400
 * or more; a failed or late run is an error result naming the run (the tool's caller is a model, which
 * may try again or tell its user).
 */
async function callTool(
  openapi: EndpointOpenApi,
  callFlow: CallFlow,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  const request = toolRequest(openapi, name, args);
  if (!request) return { content: [{ type: 'text', text: `no tool named ${name}` }], isError: true };
  try {
    const answer = answerOf(await callFlow(request));
    const text = typeof answer.body === 'string' ? answer.body : '';
    return { content: [{ type: 'text', text }], isError: answer.status >= 400 };
  } catch (error) {
    return { content: [{ type: 'text', text: errorMessage(error) }], isError: true };
  }
}

/**
 * An MCP server (Streamable HTTP, `@modelcontextprotocol/sdk`) over one endpoint's operations, made
 * for one HTTP request: stateless (no session id) and answering JSON rather than an event stream, so
 * any api process can answer any request. `tools/list` gives each operation as a tool (mcpTools);
 * `tools/call` runs the flow with the request the tool stands for (toolRequest). The low-level
 * `Server` is used because the tools' schemas are JSON Schemas from OpenAPI, not zod.
 * Only POST carries messages here: GET (a server-to-client stream) and DELETE (ending a session)
 * answer 405, as the transport's specification allows for a server without them.
 */
export async function answerMcp(
  openapi: EndpointOpenApi,
  request: IngressRequest,
  url: string,
  callFlow: CallFlow,
): Promise<IngressAnswer> {
  if (request.method !== 'POST') {
    return {
      status: 405,
      headers: { allow: 'POST' },
      body: { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: POST only (stateless server)' }, id: null },
    };
  }
  const server = new Server(serverInfo(openapi), { capabilities: { tools: {} } });
  const tools = mcpTools(openapi);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, (call) => callTool(openapi, callFlow, call.params.name, call.params.arguments ?? {}));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers.set(name, value);
    const response = await transport.handleRequest(new Request(url, { method: 'POST', headers, body: new Uint8Array(request.raw) }));
    const answerHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'content-type' && name !== 'content-length') answerHeaders[name] = value;
    });
    return {
      status: response.status,
      headers: answerHeaders,
      body: await response.text(),
      type: response.headers.get('content-type') ?? 'application/json',
    };
  } finally {
    await server.close();
  }
}
