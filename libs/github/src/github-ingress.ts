import { Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  CodedError,
  type AcceptEvent,
  type AppConfig,
  type IngressAnswer,
  type IngressRequest,
  type ProviderIngress,
} from '@openflows/common';
import { githubEnvelope } from './envelope';

/** `@octokit/webhooks-methods` ships as an ES module only; Node loads it with import(), once. */
const webhooksMethods = import('@octokit/webhooks-methods');

/** Timing-safe check of `X-Hub-Signature-256` (HMAC-SHA256 of the raw body), as GitHub documents it. */
async function verifySignature(secret: string, raw: Buffer, signature: string): Promise<boolean> {
  const { verify } = await webhooksMethods;
  return verify(secret, raw.toString('utf8'), signature).catch(() => false);
}

/**
 * `POST /webhooks/github`: GitHub's webhook deliveries (App and repository webhooks). Verifies
 * `X-Hub-Signature-256` on the raw body before reading it, and answers 202 once the event is queued
 * (200 for a redelivery of one queued before).
 */
@Injectable()
export class GithubIngress implements ProviderIngress {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * @throws CodedError `NOT_CONFIGURED` (503) without GITHUB_WEBHOOK_SECRET, `SIGNATURE_INVALID` (401),
   *   `BODY_MALFORMED` (400), and (from `githubEnvelope`) `DELIVERY_MALFORMED` (400).
   */
  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const secret = this.config.github.webhookSecret;
    if (!secret) throw new CodedError('NOT_CONFIGURED', 'GitHub webhooks are not configured (GITHUB_WEBHOOK_SECRET)');
    const signature = request.headers['x-hub-signature-256'];
    if (
      request.method !== 'POST' ||
      request.path !== '' ||
      typeof signature !== 'string' ||
      !(await verifySignature(secret, request.raw, signature))
    ) {
      throw new CodedError('SIGNATURE_INVALID', 'X-Hub-Signature-256 is missing or does not match the body');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(request.raw.toString('utf8'));
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    const outcome = await accept(githubEnvelope(request.headers, payload));
    return { status: outcome.status === 'duplicate' ? 200 : 202, body: outcome };
  }
}
