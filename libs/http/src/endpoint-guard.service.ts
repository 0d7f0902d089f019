import { Injectable, Logger } from '@nestjs/common';
import { CodedError, type IngressRequest } from '@openflows/common';
import { SecretsService } from '@openflows/secrets';
import { bearerMatches, hmacMatches } from './endpoint-auth';
import type { ResolvedEndpoint } from './endpoints.service';

/**
 * Caller authentication of HTTP endpoints (`EndpointAuth`): none, a bearer token held in a named
 * secret of the flow's owner, or an HMAC of the raw body. Secrets are generic secrets; each check
 * records the use on the secret (`lastUsedBy` = the flow's name).
 */
@Injectable()
export class EndpointGuard {
  private readonly logger = new Logger(EndpointGuard.name);

  constructor(private readonly secrets: SecretsService) {}

  /**
   * Lets `request` through or refuses it.
   * @throws CodedError ENDPOINT_UNAUTHORIZED (401) for a missing or wrong token or signature;
   *   NOT_CONFIGURED (503) when the named secret does not exist or is an LLM key (the caller is not
   *   told which secret: the reason goes to the api's log).
   */
  async check(endpoint: ResolvedEndpoint, request: IngressRequest): Promise<void> {
    const auth = endpoint.options.auth;
    if (!auth) return;
    const name = 'bearer' in auth ? auth.bearer : auth.hmac.secret;
    const secret = await this.secret(endpoint, name);
    const valid =
      'bearer' in auth
        ? bearerMatches(request.headers.authorization, secret)
        : hmacMatches(request.raw, request.headers[auth.hmac.header.toLowerCase()], auth.hmac, secret);
    if (!valid) {
      const what =
        'bearer' in auth ? 'a valid bearer token (Authorization: Bearer …)' : `a valid ${auth.hmac.header} signature of the body`;
      throw new CodedError('ENDPOINT_UNAUTHORIZED', `this endpoint needs ${what}`);
    }
  }

  /** Request headers the flow does not get: the caller's bearer token when the endpoint checks one. */
  withheld(endpoint: ResolvedEndpoint): string[] {
    return endpoint.options.auth && 'bearer' in endpoint.options.auth ? ['authorization'] : [];
  }

  private async secret(endpoint: ResolvedEndpoint, name: string): Promise<string> {
    const secret = await this.secrets.reveal(endpoint.flow.ownerId, name, { usedBy: endpoint.flow.name, kind: 'generic' });
    if (secret?.kind === 'generic') return secret.value;
    this.logger.warn(
      `endpoint ${endpoint.name} of flow ${endpoint.flow.name} (${endpoint.flow.id}): its auth secret "${name}" ${secret ? 'is an LLM key' : 'does not exist'}`,
    );
    throw new CodedError('NOT_CONFIGURED', "this endpoint's authentication is not configured yet");
  }
}
