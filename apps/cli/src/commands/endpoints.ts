import { Command } from 'commander';
import { apiClientFromEnv } from '../api-client';
import type { EndpointJson, FlowJson } from '../api-types';
import { formatTable, print } from '../output';

/** Prints a flow's HTTP endpoints with their URLs (`GET /api/flows/:name`). @throws CliError for an unknown flow. */
async function list(flow: string): Promise<void> {
  const view = await apiClientFromEnv().request<FlowJson>('GET', `/api/flows/${encodeURIComponent(flow)}`);
  const endpoints = view.endpoints ?? [];
  if (endpoints.length === 0) return print(`${flow} has no HTTP endpoints (http.endpoint(name) in its run())`);
  print(
    formatTable(
      ['ENDPOINT', 'URL'],
      endpoints.map((e) => [e.name, e.url]),
    ),
  );
}

/** Gives an endpoint a new URL (`POST /api/flows/:name/endpoints/:endpoint/rotate`); the old one stops working. @throws CliError */
async function rotate(flow: string, endpoint: string): Promise<void> {
  const path = `/api/flows/${encodeURIComponent(flow)}/endpoints/${encodeURIComponent(endpoint)}/rotate`;
  const rotated = await apiClientFromEnv().request<EndpointJson>('POST', path);
  print(`${rotated.name}: ${rotated.url} (the previous URL no longer works)`);
}

/** `openflows endpoints <flow>` and `openflows endpoints <flow> --rotate <endpoint>`. */
export function endpointsCommand(): Command {
  return new Command('endpoints')
    .description("list a flow's HTTP endpoints and their URLs, or give one a new URL with --rotate")
    .argument('<flow>', 'flow name')
    .option('--rotate <endpoint>', 'replace the URL key of this endpoint (the old URL answers 404)')
    .action((flow: string, options: { rotate?: string }) => (options.rotate ? rotate(flow, options.rotate) : list(flow)));
}
