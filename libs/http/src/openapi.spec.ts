import { http, type EndpointOpenApi } from '@openflows/sdk';
import { mcpTools, openApiDocument, pluginManifest, toolRequest } from './openapi';

const URL_ = 'https://flows.example.com/f/abcdefghijklmnopqrstuvwxyz012345';

const NOTES: EndpointOpenApi = {
  title: 'Notes API',
  description: 'Keeps short notes.',
  version: '2.1.0',
  operations: [
    http.operation('GET', '/notes/{id}', {
      operationId: 'getNote',
      summary: 'Read a note',
      query: { properties: { verbose: { type: 'boolean' } } },
    }),
    http.operation('POST', '/notes', {
      operationId: 'addNote',
      summary: 'Add a note',
      description: 'Stores the text.',
      body: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    }),
  ],
};
// A path parameter, as OpenAPI 3.1 operation objects write it by hand.
(NOTES.operations[0].operation.parameters as unknown[]).unshift({ name: 'id', in: 'path', required: true, schema: { type: 'string' } });

describe('openApiDocument', () => {
  it('is an OpenAPI 3.1 document: info, the endpoint as server, the operations under paths', () => {
    const doc = openApiDocument({ url: URL_, openapi: NOTES });
    expect(doc).toEqual({
      openapi: '3.1.0',
      info: { title: 'Notes API', version: '2.1.0', description: 'Keeps short notes.' },
      servers: [{ url: URL_ }],
      paths: { '/notes/{id}': { get: NOTES.operations[0].operation }, '/notes': { post: NOTES.operations[1].operation } },
    });
  });

  it('requires the bearer token or the signature header on every operation', () => {
    expect(openApiDocument({ url: URL_, auth: { bearer: 'token' }, openapi: NOTES })).toMatchObject({
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    });
    const signed = openApiDocument({
      url: URL_,
      auth: { hmac: { header: 'X-Signature', algorithm: 'sha256', secret: 's' } },
      openapi: NOTES,
    });
    expect(signed).toMatchObject({
      components: { securitySchemes: { signature: { type: 'apiKey', in: 'header', name: 'X-Signature' } } },
      security: [{ signature: [] }],
    });
  });
});

describe('pluginManifest', () => {
  it('names the API, points at its OpenAPI document and declares bearer auth as user_http', () => {
    expect(pluginManifest({ url: URL_, auth: { bearer: 'token' }, openapi: NOTES })).toMatchObject({
      schema_version: 'v1',
      name_for_human: 'Notes API',
      name_for_model: 'Notes_API',
      description_for_human: 'Keeps short notes.',
      description_for_model: 'Keeps short notes.',
      auth: { type: 'user_http', authorization_type: 'bearer' },
      api: { type: 'openapi', url: `${URL_}/openapi.json` },
    });
    expect(pluginManifest({ url: URL_, openapi: { ...NOTES, plugin: { nameForModel: 'notes' } } })).toMatchObject({
      auth: { type: 'none' },
      name_for_model: 'notes',
    });
  });

  it('keeps to the published field lengths, and has none for an HMAC endpoint', () => {
    const long = pluginManifest({ url: URL_, openapi: { ...NOTES, title: 'A title much longer than twenty characters' } });
    expect((long?.name_for_human as string).length).toBe(20);
    expect(
      pluginManifest({ url: URL_, auth: { hmac: { header: 'x-sig', algorithm: 'sha256', secret: 's' } }, openapi: NOTES }),
    ).toBeUndefined();
  });
});

describe('mcpTools and toolRequest', () => {
  it('makes a tool per operation: parameters by name, a JSON body as `body`', () => {
    expect(mcpTools(NOTES)).toEqual([
      {
        name: 'getNote',
        description: 'Read a note',
        inputSchema: { type: 'object', properties: { id: { type: 'string' }, verbose: { type: 'boolean' } }, required: ['id'] },
      },
      {
        name: 'addNote',
        description: 'Add a note\n\nStores the text.',
        inputSchema: {
          type: 'object',
          properties: { body: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
          required: ['body'],
        },
      },
    ]);
  });

  it('turns a call into the request it stands for', () => {
    expect(toolRequest(NOTES, 'getNote', { id: 'a/b', verbose: true })).toEqual({
      method: 'GET',
      path: '/notes/a%2Fb',
      query: { verbose: 'true' },
      headers: {},
      body: '',
    });
    expect(toolRequest(NOTES, 'addNote', { body: { text: 'hi' } })).toEqual({
      method: 'POST',
      path: '/notes',
      query: {},
      headers: { 'content-type': 'application/json' },
      body: '{"text":"hi"}',
      json: { text: 'hi' },
    });
    expect(toolRequest(NOTES, 'deleteNote', {})).toBeUndefined();
  });
});
