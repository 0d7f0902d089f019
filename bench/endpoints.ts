/**
 * HTTP endpoint flows under load (issue 10): a flow whose endpoint answers at once
 * (`http.json(200, { ok: true, path })`) deployed on the real api and worker processes (started as
 * test/support/platform.ts starts them, PostgreSQL and Redis on this machine), called by `autocannon`
 * at C connections for D seconds at `/f/<key>/ping`; then, in the same run, a baseline: a bare
 * `node:http` server in this process answering the same JSON, loaded the same way. Every request to
 * the platform is a run (recorded, queued, executed in an isolate, answered through the reply window).
 *
 *   npm run build && npm run build:bench:endpoints && node dist/bench/endpoints.js [--connections C] [--duration D] [--warmup W]
 *     [--owner-concurrency K] [--partitions P]
 *
 * All requests come from one owner, so FLOW_OWNER_CONCURRENCY (runs of one owner in flight, default 4)
 * caps them unless `--owner-concurrency` raises it; `--partitions` sets RUN_PARTITIONS (default 8).
 *
 * Reports requests/s and latency p50/p99 of both, and the platform's overhead (its latency minus the
 * baseline's at the same percentile). Exits 1 when a request failed or was not answered 200, 2 on bad
 * arguments. Results: docs/benchmarks.md. Targets: ≥ 500 requests/s, overhead p50 ≤ 10 ms, p99 ≤ 50 ms.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Platform } from '@openflows/test-support/platform';

const FLOW = `
import { http, listenToEvent, type FlowEvent, type HttpRequest } from '@openflows/sdk';
export async function run(): Promise<void> {
  await listenToEvent(http.endpoint('ping'), ['request'], async (event: FlowEvent<HttpRequest>) => http.json(200, { ok: true, path: event.payload.path }));
}
`;

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  failed: number;
}

/** Loads `url` with autocannon; failures are errors, timeouts and answers other than 200. */
async function load(url: string, connections: number, duration: number): Promise<Figures> {
  const result = await autocannon({ url, connections, duration, timeout: 30 });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: result.errors + result.timeouts + result.non2xx,
  };
}

/** The baseline: the same JSON from a bare node:http server on 127.0.0.1. */
async function baselineServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const body = JSON.stringify({ ok: true, path: new URL(req.url ?? '/', 'http://x').pathname });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/ping`, server };
}

function line(name: string, f: Figures): string {
  return `${name.padEnd(9)} ${f.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  (${f.total} requests, ${f.failed} failed)`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      'owner-concurrency': { type: 'string', default: '4' },
      partitions: { type: 'string', default: '8' },
    },
  });
  const numbers = [values.connections, values.duration, values.warmup, values['owner-concurrency'], values.partitions].map(Number);
  const [connections, duration, warmup, ownerConcurrency, partitions] = numbers;
  if (!numbers.every((n) => Number.isInteger(n) && n > 0)) {
    process.stderr.write('--connections, --duration, --warmup, --owner-concurrency and --partitions are positive integers\n');
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'openflows-bench-endpoints-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-ping', private: true, main: 'src/index.ts' }));
  writeFileSync(join(dir, 'src', 'index.ts'), FLOW);
  process.stdout.write(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}; ${connections} connections, ${duration} s (after ${warmup} s of warm-up); ` +
      `FLOW_OWNER_CONCURRENCY=${ownerConcurrency} RUN_PARTITIONS=${partitions}\n`,
  );
  let platform: Platform | undefined;
  const baseline = await baselineServer();
  try {
    // The platform's own defaults (libs/common/src/config.ts), logs at warn.
    platform = await Platform.start({
      mode: 'separate',
      repositories: [],
      env: { LOG_LEVEL: 'warn', FLOW_OWNER_CONCURRENCY: String(ownerConcurrency), RUN_PARTITIONS: String(partitions) },
    });
    await platform.deploy(dir, {});
    const view = (await platform.request('GET', '/api/flows/bench-ping')).body as { endpoints: { url: string }[] };
    const url = `${platform.url}${new URL(view.endpoints[0].url).pathname}/ping`;
    await load(url, connections, warmup);
    const measured = await load(url, connections, duration);
    await load(baseline.url, connections, warmup);
    const bare = await load(baseline.url, connections, duration);
    const overhead = { p50: measured.p50 - bare.p50, p99: measured.p99 - bare.p99 };
    process.stdout.write(`${line('platform', measured)}\n${line('baseline', bare)}\n`);
    process.stdout.write(`overhead  p50 ${overhead.p50} ms, p99 ${overhead.p99} ms\n`);
    const met = measured.requestsPerSecond >= 500 && overhead.p50 <= 10 && overhead.p99 <= 50;
    process.stdout.write(`targets (≥ 500 req/s, overhead p50 ≤ 10 ms, p99 ≤ 50 ms): ${met ? 'met' : 'NOT met'}\n`);
    return measured.failed > 0 || bare.failed > 0 ? 1 : 0;
  } finally {
    baseline.server.close();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
