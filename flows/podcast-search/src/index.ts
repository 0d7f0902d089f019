import { env, getSecret, http, listenToEvent, log, type FlowEvent, type HttpRequest, type HttpResponse } from '@openflows/sdk';

const LISTEN_API = 'https://listen-api.listennotes.com/api/v2';
/** Characters of a description kept in an answer: enough for a model to choose, short enough for its context. */
const DESCRIPTION_CHARS = 300;

/** What the endpoint publishes: `openapi.json`, the plugin manifest and the `searchPodcasts` MCP tool. */
const openapi = {
  title: 'Podcast search',
  description: 'Search podcasts and podcast episodes by people, places or topics, with links to listen to them.',
  version: '1.0.0',
  operations: [
    http.operation('GET', '/search', {
      operationId: 'searchPodcasts',
      summary: 'Search podcasts or episodes',
      description: 'Full-text search over podcast episodes (default) or whole podcasts. Use next_offset to page.',
      query: {
        properties: {
          q: { type: 'string', description: 'Search terms: a person, place or topic. Quote words to match them verbatim.' },
          type: { type: 'string', enum: ['episode', 'podcast'], description: 'What to search: episode (default) or podcast.' },
          offset: { type: 'integer', minimum: 0, description: 'Where to continue: the next_offset of the previous answer.' },
        },
        required: ['q'],
      },
      response: {
        type: 'object',
        properties: {
          total: { type: 'integer' },
          next_offset: { type: 'integer' },
          results: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                title: { type: 'string' },
                podcast: { type: 'string' },
                publisher: { type: 'string' },
                description: { type: 'string' },
                url: { type: 'string', description: 'The page on Listen Notes' },
              },
            },
          },
        },
      },
    }),
  ],
  plugin: {
    nameForModel: 'podcast_search',
    descriptionForModel:
      'Search podcasts and episodes. Use it when the user asks for podcasts or episodes about a topic, a person or a place.',
  },
};

export async function run(): Promise<void> {
  const auth = { bearer: env('plugin_token_name', 'plugin_token') };
  await listenToEvent(http.endpoint('podcasts', { auth, openapi }), ['request'], search);
}

/** A Listen Notes search result, episode or podcast (the fields this flow reads). */
interface ListenResult {
  title_original: string;
  publisher_original?: string;
  description_original?: string;
  listennotes_url: string;
  podcast?: { title_original: string; publisher_original?: string };
}

/** Answers `GET /search?q=…[&type=…][&offset=…]` with Listen Notes' results, trimmed for a model; anything else is 404. */
async function search(event: FlowEvent<HttpRequest>): Promise<HttpResponse> {
  const request = event.payload;
  if (request.method !== 'GET' || request.path !== '/search') return http.json(404, { error: 'try GET /search?q=…' });
  const q = (request.query.q ?? '').trim();
  if (q === '') return http.json(400, { error: 'q is required' });
  const params = new URLSearchParams({ q });
  if (request.query.type) params.set('type', request.query.type);
  if (request.query.offset) params.set('offset', request.query.offset);
  // The key stays on the platform's side: it is sent to Listen Notes only, never answered or logged.
  const key = await getSecret(env('podcast_key_name'));
  const res = await fetch(`${env('listen_api_url', LISTEN_API)}/search?${params}`, { headers: { 'X-ListenAPI-Key': key } });
  if (!res.ok) {
    log.warn(`Listen Notes answered ${res.status}`);
    return http.json(502, { error: `the podcast directory answered ${res.status}` });
  }
  const found = (await res.json()) as { total: number; next_offset: number; results: ListenResult[] };
  log.info(`search "${q}": ${found.results.length} of ${found.total}`);
  return http.json(200, {
    total: found.total,
    next_offset: found.next_offset,
    results: found.results.map((r) => ({
      title: r.title_original,
      podcast: r.podcast?.title_original ?? r.title_original,
      publisher: r.podcast?.publisher_original ?? r.publisher_original ?? '',
      description: (r.description_original ?? '').slice(0, DESCRIPTION_CHARS),
      url: r.listennotes_url,
    })),
  });
}
