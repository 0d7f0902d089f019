import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, CodedError, type AppConfig } from '@openflows/common';
import { githubEnvelope } from '@openflows/github';
import { IngressService } from './ingress.service';

/** `@octokit/webhooks-methods` ships as an ES module only; Node loads it with import(), once. */
const webhooksMethods = import('@octokit/webhooks-methods');

/** Timing-safe check of `X-Hub-Signature-256` (HMAC-SHA256 of the raw body), as GitHub documents it. */
async function verifySignature(secret: string, raw: Buffer, signature: string): Promise<boolean> {
  const { verify } = await webhooksMethods;
  return verify(secret, raw.toString('utf8'), signature).catch(() => false);
}

/**
 * `POST /webhooks/github`: GitHub's webhook deliveries. Verifies `X-Hub-Signature-256` on the raw
 * body before reading it, records the event and answers 202 only once it is queued. Refusals are
 * CodedErrors: `NOT_CONFIGURED` (503), `SIGNATURE_INVALID` (401), `BODY_MALFORMED` and (from
 * `githubEnvelope`) `DELIVERY_MALFORMED` (400), `EVENT_NOT_QUEUED` (503).
 */
@ApiExcludeController()
@Controller('webhooks')
export class GithubWebhookController {
  private readonly logger = new Logger(GithubWebhookController.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ingress: IngressService,
  ) {}

  @Post('github')
  @HttpCode(202)
  async receive(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ status: string; eventId: string }> {
    const secret = this.config.github.webhookSecret;
    if (!secret) throw new CodedError('NOT_CONFIGURED', 'GitHub webhooks are not configured (GITHUB_WEBHOOK_SECRET)');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.headers['x-hub-signature-256'];
    if (typeof signature !== 'string' || !(await verifySignature(secret, raw, signature))) {
      throw new CodedError('SIGNATURE_INVALID', 'X-Hub-Signature-256 is missing or does not match the body');
    }
    const envelope = this.envelopeOf(req, raw);
    try {
      const outcome = await this.ingress.accept(envelope);
      if (outcome.status === 'duplicate') res.status(200);
      return outcome;
    } catch (error) {
      this.logger.error({ err: error, deliveryId: envelope.deliveryId }, 'could not queue delivery');
      throw new CodedError('EVENT_NOT_QUEUED', 'the event could not be queued; redeliver it later', { cause: error });
    }
  }

  private envelopeOf(req: Request, raw: Buffer) {
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    return githubEnvelope(req.headers, payload);
  }
}
