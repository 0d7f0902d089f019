import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FlowEvent } from '@openflows/sdk';
import { CliError } from '../cli-error';

/** The event `run()` is dispatched with, plus the `target` subscriptions are matched against. */
export type DevEvent = FlowEvent<Record<string, unknown>> & { target?: string };

/** `issues.opened` → `{ name: 'issues', action: 'opened' }`; the action is optional. @throws CliError */
export function parseEventOption(value: string): { name: string; action?: string } {
  const match = /^([a-z_]+)(?:\.([a-z_]+))?$/.exec(value);
  if (!match) throw new CliError(`--event must be <name>[.<action>] such as issues.opened, got ${JSON.stringify(value)}`);
  return { name: match[1], action: match[2] };
}

/** `owner/repo` → its two parts. @throws CliError for anything else. */
export function parseRepo(value: string): { owner: string; repo: string } {
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(value);
  if (!match) throw new CliError(`--repo must be owner/repo, got ${JSON.stringify(value)}`);
  return { owner: match[1], repo: match[2] };
}

/** A JSON payload file (an object, as GitHub sends it). @throws CliError when unreadable or not an object. */
export function readPayloadFile(file: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the payload ${file}: ${(error as Error).message}`);
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    throw new CliError(`the payload ${file} must be a JSON object`);
  return payload as Record<string, unknown>;
}

/** A copy of `payload` whose `repository` (owner.login, name, full_name, html_url) is `owner/repo`. */
export function withRepository(
  payload: Record<string, unknown>,
  { owner, repo }: { owner: string; repo: string },
): Record<string, unknown> {
  const copy = structuredClone(payload);
  const repository = (copy.repository ?? {}) as Record<string, unknown>;
  copy.repository = {
    ...repository,
    name: repo,
    full_name: `${owner}/${repo}`,
    html_url: `https://github.com/${owner}/${repo}`,
    owner: { ...(repository.owner as object | undefined), login: owner },
  };
  return copy;
}

/**
 * The event as the platform's ingress would make it: a fresh id and delivery id, `action` from the
 * payload (else the `--event` action), `target` the lower-cased `repository.full_name`.
 * @throws CliError when `--event` names an action other than the payload's.
 */
export function devEvent(name: string, action: string | undefined, payload: Record<string, unknown>): DevEvent {
  const payloadAction = typeof payload.action === 'string' ? payload.action : undefined;
  if (action !== undefined && payloadAction !== undefined && action !== payloadAction) {
    throw new CliError(`--event says action "${action}" but the payload's action is "${payloadAction}"`);
  }
  const fullName = (payload.repository as { full_name?: unknown } | undefined)?.full_name;
  return {
    id: `dev-${randomUUID()}`,
    provider: 'github',
    name,
    action: payloadAction ?? action,
    deliveryId: randomUUID(),
    payload,
    target: typeof fullName === 'string' ? fullName.toLowerCase() : undefined,
  };
}
