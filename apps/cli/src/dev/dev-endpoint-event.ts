import { randomUUID } from 'node:crypto';
import type { DeclaredSubscription } from '@openflows/runtime';
import type { HttpRequest, ScheduleTick } from '@openflows/sdk';
import { CliError } from '../cli-error';
import type { DevEvent } from './dev-event';

/** What `--request`, `--header` and `--body` say about the request to send to the flow's endpoint. */
export interface DevRequestOptions {
  /** `<METHOD> <path>[?query]`, e.g. `GET /search?q=ai`. */
  request: string;
  /** `Name: value` lines. */
  header?: string[];
  body?: string;
  /** Which endpoint, when the flow declares several. */
  endpoint?: string;
}

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * The one subscription of `provider` the local run goes to: the one named `name` (its target ends with
 * it), else the flow's only one.
 * @throws CliError when the flow declares none, or several and `name` does not pick one.
 */
function pick(subscriptions: DeclaredSubscription[], provider: string, what: string, option: string, name?: string): DeclaredSubscription {
  const all = subscriptions.filter((s) => s.provider === provider);
  const unique = [...new Map(all.map((s) => [s.target, s])).values()];
  if (unique.length === 0) throw new CliError(`the flow declares no ${what}`);
  if (name !== undefined) {
    const found = unique.find((s) => s.target === name.toLowerCase());
    if (!found) throw new CliError(`the flow has no ${what} "${name}"; it has: ${unique.map((s) => s.target).join(', ')}`);
    return found;
  }
  if (unique.length > 1)
    throw new CliError(`the flow has several ${what}s (${unique.map((s) => s.target).join(', ')}); pick one with ${option}`);
  return unique[0];
}

/** `Name: value` → `['name', 'value']`. @throws CliError for anything else. */
function parseHeader(line: string): [string, string] {
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(line);
  if (!match) throw new CliError(`--header must be "Name: value", got ${JSON.stringify(line)}`);
  return [match[1].toLowerCase(), match[2]];
}

/**
 * The `request` event an endpoint of the flow would get for `options` (the platform's payload:
 * method, path, query, headers, body and, for a JSON content type, the body parsed). A `--body`
 * without `content-type` is sent as JSON when it parses, else as text. The caller's auth is not
 * checked locally.
 * @throws CliError for a malformed `--request` or `--header`, or no endpoint to send it to.
 */
export function devRequestEvent(subscriptions: DeclaredSubscription[], options: DevRequestOptions): DevEvent {
  const match = /^([A-Za-z]+)\s+(\/\S*)$/.exec(options.request.trim());
  if (!match)
    throw new CliError(`--request must be "<METHOD> /path?query", such as "GET /search?q=ai", got ${JSON.stringify(options.request)}`);
  const endpoint = pick(subscriptions, 'http', 'HTTP endpoint', '--endpoint <name>', options.endpoint);
  const url = new URL(match[2], 'http://localhost');
  const headers = Object.fromEntries((options.header ?? []).map(parseHeader));
  const body = options.body ?? '';
  if (body !== '' && headers['content-type'] === undefined) {
    headers['content-type'] = isJson(body) ? 'application/json' : 'text/plain; charset=utf-8';
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] ??= value;
  const payload: HttpRequest = { method: match[1].toUpperCase(), path: url.pathname, query, headers, body };
  if (body !== '' && JSON_TYPE.test(headers['content-type'] ?? '') && isJson(body)) payload.json = JSON.parse(body);
  return fresh('http', 'request', endpoint.target, payload);
}

/**
 * The `tick` event a schedule of the flow would get now (`schedule` picks one of several by its
 * target, e.g. `every 60000`).
 * @throws CliError when the flow declares no schedule, or several and none is picked.
 */
export function devTickEvent(subscriptions: DeclaredSubscription[], schedule?: string): DevEvent {
  const chosen = pick(subscriptions, 'schedule', 'schedule', '--schedule "<cron … | every …>"', schedule);
  const now = new Date().toISOString();
  const payload: ScheduleTick = { scheduledAt: now, firedAt: now, ...(chosen.options as Omit<ScheduleTick, 'scheduledAt' | 'firedAt'>) };
  return fresh('schedule', 'tick', chosen.target, payload);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function fresh(provider: string, name: string, target: string, payload: object): DevEvent {
  return { id: `dev-${randomUUID()}`, provider, name, deliveryId: randomUUID(), payload: payload as Record<string, unknown>, target };
}
