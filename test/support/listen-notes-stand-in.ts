/**
 * A local stand-in for Listen Notes' Podcast API (PodcastAPI.com, Listen API v2) `GET /api/v2/search`,
 * on 127.0.0.1 at a random port. Point a flow's base URL at `${url}/api/v2` and let the flow's egress
 * reach it (`FLOW_EGRESS_ALLOW=127.0.0.1:<port>`).
 *
 * Wire format from Listen Notes' published OpenAPI description (listen-api.listennotes.com/api/v2/openapi.yaml,
 * operation `search`): the key in the `X-ListenAPI-Key` header (401 "wrong api key or your account is
 * suspended" otherwise), `q` required, `type` `episode` (default) or `podcast`, `offset` for paging;
 * the answer `{ took, count, total, results, next_offset }` with EpisodeSearchResult or
 * PodcastSearchResult objects (the fields below). The catalogue is our own made-up data: the vendor's
 * examples carry no licence to copy them.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One podcast of the stand-in's catalogue, with its episodes. */
interface CataloguePodcast {
  id: string;
  title: string;
  publisher: string;
  description: string;
  episodes: { id: string; title: string; description: string; audioLengthSec: number; pubDateMs: number }[];
}

const CATALOGUE: CataloguePodcast[] = [
  {
    id: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
    title: 'Machine Minds Weekly',
    publisher: 'OpenFlows Test Studio',
    description: 'Conversations about AI research, tools and the people who build them.',
    episodes: [
      {
        id: 'e01a1b2c3d4e4f5a6b7c8d9e0f1a2b3c',
        title: 'AI agents that call APIs',
        description: 'How assistants use plugins and tools.',
        audioLengthSec: 2710,
        pubDateMs: 1_767_225_600_000,
      },
      {
        id: 'e02a1b2c3d4e4f5a6b7c8d9e0f1a2b3c',
        title: 'Small models, big wins',
        description: 'Running AI on a laptop.',
        audioLengthSec: 1985,
        pubDateMs: 1_767_830_400_000,
      },
    ],
  },
  {
    id: '1b2c3d4e5f60718293a4b5c6d7e8f90a',
    title: 'Gardening at Dawn',
    publisher: 'Green Thumb Radio',
    description: 'Ten minutes of gardening advice before breakfast.',
    episodes: [
      {
        id: 'e03a1b2c3d4e4f5a6b7c8d9e0f1a2b3c',
        title: 'Tomatoes in pots',
        description: 'Soil, sun and water.',
        audioLengthSec: 640,
        pubDateMs: 1_766_016_000_000,
      },
    ],
  },
];

/** A search the stand-in received, refused ones included. */
export interface ListenNotesRequest {
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface ListenNotesStandIn {
  /** `http://127.0.0.1:<port>`; the API lives under `/api/v2`. */
  url: string;
  port: number;
  requests: ListenNotesRequest[];
  close(): Promise<void>;
}

const highlight = (text: string, q: string) =>
  text.replace(new RegExp(`(${q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`, 'gi'), '<span class="ln-search-highlight">$1</span>');

function podcastResult(p: CataloguePodcast, q: string) {
  return {
    id: p.id,
    title_original: p.title,
    title_highlighted: highlight(p.title, q),
    publisher_original: p.publisher,
    publisher_highlighted: highlight(p.publisher, q),
    description_original: p.description,
    description_highlighted: highlight(p.description, q),
    listennotes_url: `https://www.listennotes.com/c/${p.id}/`,
    total_episodes: p.episodes.length,
    explicit_content: false,
    genre_ids: [127],
  };
}

function episodeResult(p: CataloguePodcast, e: CataloguePodcast['episodes'][number], q: string) {
  return {
    id: e.id,
    title_original: e.title,
    title_highlighted: highlight(e.title, q),
    description_original: e.description,
    description_highlighted: highlight(e.description, q),
    audio: `https://www.listennotes.com/e/p/${e.id}/`,
    audio_length_sec: e.audioLengthSec,
    pub_date_ms: e.pubDateMs,
    listennotes_url: `https://www.listennotes.com/e/${e.id}/`,
    explicit_content: false,
    podcast: {
      id: p.id,
      title_original: p.title,
      publisher_original: p.publisher,
      listennotes_url: `https://www.listennotes.com/c/${p.id}/`,
    },
  };
}

/** The search's results: podcasts or episodes whose title, publisher or description contain `q` (case-insensitive). */
function search(q: string, type: string) {
  const hit = (...texts: string[]) => texts.some((t) => t.toLowerCase().includes(q.toLowerCase()));
  if (type === 'podcast') return CATALOGUE.filter((p) => hit(p.title, p.publisher, p.description)).map((p) => podcastResult(p, q));
  return CATALOGUE.flatMap((p) => p.episodes.filter((e) => hit(e.title, e.description, p.title)).map((e) => episodeResult(p, e, q)));
}

/** Starts the stand-in; only `X-ListenAPI-Key: <apiKey>` is accepted. */
export async function startListenNotesStandIn(options: { apiKey: string }): Promise<ListenNotesStandIn> {
  const requests: ListenNotesRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    requests.push({ path: url.pathname, query, headers: req.headers });
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers['x-listenapi-key'] !== options.apiKey) return answer(401, { message: 'Wrong api key or your account is suspended.' });
    if (req.method !== 'GET' || url.pathname !== '/api/v2/search') return answer(404, { message: 'Endpoint not exist.' });
    const q = query.q?.trim();
    if (!q) return answer(400, { message: 'q is required.' });
    const type = query.type ?? 'episode';
    if (type !== 'episode' && type !== 'podcast') return answer(400, { message: 'type must be episode, podcast or curated.' });
    const offset = Number(query.offset ?? 0);
    const all = search(q, type);
    const results = all.slice(offset, offset + 10);
    answer(200, { took: 0.012, count: results.length, total: all.length, results, next_offset: offset + results.length });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
