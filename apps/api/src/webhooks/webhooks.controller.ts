import { All, Controller, Logger, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CodedError, type AcceptEvent, type EventEnvelope, type IngressAnswer, type IngressRequest } from '@openflows/common';
import { ProviderRegistry } from '@openflows/providers';
import { IngressService } from './ingress.service';

/** The first value of each header or query parameter, by name. */
function firstValues(values: Record<string, unknown>): Record<string, string | undefined> {
  const first = (value: unknown): string | undefined =>
    Array.isArray(value) ? first(value[0]) : typeof value === 'string' ? value : undefined;
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, first(value)]));
}

/** The provider whose ingress `/f/<path>` is: HTTP endpoint flows' short public URLs (`/f/<key>/…` = `/webhooks/http/<key>/…`). */
const ENDPOINTS_PROVIDER = 'http';

/**
 * `/webhooks/<provider>` and `/webhooks/<provider>/<path>`, every method: each provider's webhook,
 * verified and parsed by its adapter (ProviderAdapter.ingress) from the raw body (see configureHttp).
 * An event is answered only once it is recorded and queued; what the adapter refuses is a CodedError
 * (answered by the global filter) and queues nothing. `PROVIDER_UNKNOWN` (404) for a provider without
 * a webhook. `/f/<path>` is the HTTP endpoints' ingress under its short public prefix.
 */
@ApiExcludeController()
@Controller()
export class WebhooksController {
  private readonly logger = new Logger(WebhooksController.name);

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly ingress: IngressService,
  ) {}

  @All('webhooks/:provider')
  receive(@Param('provider') provider: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.handle(provider, '', req, res);
  }

  @All('webhooks/:provider/*path')
  receivePath(
    @Param('provider') provider: string,
    @Param('path') path: string[] | string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.handle(provider, joined(path), req, res);
  }

  @All('f/*path')
  receiveEndpoint(@Param('path') path: string[] | string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.handle(ENDPOINTS_PROVIDER, joined(path), req, res);
  }

  private async handle(provider: string, path: string, req: Request, res: Response): Promise<void> {
    const ingress = this.registry.get(provider)?.ingress;
    if (!ingress) throw new CodedError('PROVIDER_UNKNOWN', `no webhook for provider "${provider}"`);
    const request: IngressRequest = {
      method: req.method,
      path,
      headers: firstValues(req.headers),
      query: firstValues(req.query as Record<string, unknown>),
      raw: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    };
    send(res, await ingress.receive(request, this.accept));
  }

  private readonly accept: AcceptEvent = async (envelope: EventEnvelope) => {
    try {
      return await this.ingress.accept(envelope);
    } catch (error) {
      this.logger.error({ err: error, provider: envelope.provider, deliveryId: envelope.deliveryId }, 'could not queue the event');
      throw new CodedError('EVENT_NOT_QUEUED', 'the event could not be queued; redeliver it later', { cause: error });
    }
  };
}

/** A wildcard route parameter (Express 5 gives the segments as a list), as one path without a leading slash. */
function joined(path: string[] | string): string {
  return Array.isArray(path) ? path.join('/') : path;
}

function send(res: Response, answer: IngressAnswer): void {
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  if (answer.body === undefined) res.end();
  else if (typeof answer.body === 'string' && answer.type) res.type(answer.type).send(answer.body);
  else res.json(answer.body);
}
