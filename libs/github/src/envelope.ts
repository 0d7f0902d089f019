import { CodedError, type EventEnvelope } from '@openflows/common';

/** Thrown for a delivery the ingress must answer 400 `DELIVERY_MALFORMED`: required headers or fields missing. */
export class MalformedDeliveryError extends CodedError {
  constructor(message: string) {
    super('DELIVERY_MALFORMED', message);
  }
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
 * The repository webhook a delivery came through: `X-GitHub-Hook-ID` (GitHub's id of the hook, sent on
 * every delivery) when `X-GitHub-Hook-Installation-Target-Type` says `repository` or is absent (older
 * GitHub Enterprise Server). App (`integration`), organization and other hooks give undefined: their
 * deliveries are not attributed by hook.
 */
function repositoryHookId(headers: Record<string, string | string[] | undefined>): string | undefined {
  const id = headers['x-github-hook-id'];
  const targetType = headers['x-github-hook-installation-target-type'];
  if (typeof id !== 'string' || !/^\d+$/.test(id.trim())) return undefined;
  if (targetType !== undefined && (typeof targetType !== 'string' || targetType.toLowerCase() !== 'repository')) return undefined;
  return id.trim();
}

/**
 * Converts a verified GitHub delivery into the internal envelope.
 * @param headers `X-GitHub-Event` and `X-GitHub-Delivery` as GitHub sends them (lower-case keys), and
 *   `X-GitHub-Hook-ID` with `X-GitHub-Hook-Installation-Target-Type`: a repository hook's id becomes
 *   `hookId` (see {@link EventEnvelope.hookId}).
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
  const hookId = repositoryHookId(headers);
  return {
    provider: 'github',
    deliveryId,
    name,
    action: typeof body.action === 'string' ? body.action : undefined,
    target,
    conversationKey: target ? (thread === undefined ? target : `${target}#${thread}`) : `app:${name}`,
    payload,
    ...(hookId === undefined ? {} : { hookId }),
  };
}
