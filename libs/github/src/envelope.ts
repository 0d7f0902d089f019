import type { EventEnvelope } from '@openflows/common';

/** Thrown for a delivery the ingress must answer 400: required headers or fields missing. */
export class MalformedDeliveryError extends Error {
  readonly code = 'DELIVERY_MALFORMED';
}

interface GithubPayload {
  action?: unknown;
  repository?: { full_name?: unknown };
  issue?: { number?: unknown };
  pull_request?: { number?: unknown };
  discussion?: { number?: unknown };
}

/** Issue, pull request or discussion number the event belongs to: its conversation. */
function threadNumber(payload: GithubPayload): number | undefined {
  const n = payload.issue?.number ?? payload.pull_request?.number ?? payload.discussion?.number;
  return typeof n === 'number' ? n : undefined;
}

/**
 * Converts a verified GitHub delivery into the internal envelope.
 * @param headers `X-GitHub-Event` and `X-GitHub-Delivery` as GitHub sends them (lower-case keys).
 * @param payload the JSON body as GitHub sent it (shape per event: see `@octokit/webhooks-types`).
 * @throws MalformedDeliveryError when a header is missing or the body is not a JSON object.
 */
export function githubEnvelope(headers: Record<string, string | string[] | undefined>, payload: unknown): EventEnvelope {
  const name = headers['x-github-event'];
  const deliveryId = headers['x-github-delivery'];
  if (typeof name !== 'string' || name === '') throw new MalformedDeliveryError('missing X-GitHub-Event header');
  if (typeof deliveryId !== 'string' || deliveryId === '') throw new MalformedDeliveryError('missing X-GitHub-Delivery header');
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new MalformedDeliveryError('body must be a JSON object');
  }
  const body = payload as GithubPayload;
  const fullName = body.repository?.full_name;
  const target = typeof fullName === 'string' ? fullName.toLowerCase() : undefined;
  const thread = threadNumber(body);
  return {
    provider: 'github',
    deliveryId,
    name,
    action: typeof body.action === 'string' ? body.action : undefined,
    target,
    conversationKey: target ? (thread === undefined ? target : `${target}#${thread}`) : `app:${name}`,
    payload,
  };
}
