import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  CodedError,
  ReplyWindow,
  type AcceptEvent,
  type AppConfig,
  type IngressAnswer,
  type IngressRequest,
  type PendingReply,
  type ProviderIngress,
} from '@openflows/common';
import type { EndpointOpenApi, HttpRequest } from '@openflows/sdk';
import { answerMcp } from './endpoint-mcp';
import { EndpointGuard } from './endpoint-guard.service';
import { EndpointsService, HTTP_PROVIDER, type ResolvedEndpoint } from './endpoints.service';
import { answerOf, requestPayload, type EndpointReply } from './exchange';
import { openApiDocument, pluginManifest } from './openapi';

/** The event name of an endpoint request (`listenToEvent(http.endpoint(name), ['request'], …)`). */
export const REQUEST_EVENT = 'request';

/** Paths below an endpoint with operations that the platform answers itself. */
const OPENAPI_PATH = '/openapi.json';
const MANIFEST_PATH = '/.well-known/ai-plugin.json';
const MCP_PATH = '/mcp';

/** How much longer than the caller's wait a reply window stays open in Redis, in case the api dies while waiting (ms). */
const WINDOW_GRACE_MS = 5000;

/** The ReplyWindow id of a request: its delivery id, which the run's event carries to the worker. */
export const replyWindowId = (deliveryId: string) => `endpoint.${deliveryId}`;

/**
 * `/f/<key>/<path>` (also `/webhooks/http/<key>/<path>`), every method: an HTTP endpoint flow's URL.
 * The key names the flow and endpoint (EndpointsService); the caller is authenticated (EndpointGuard);
 * the request becomes a `request` event for that one flow, recorded and routed like any other, its own
 * conversation (requests run concurrently), and the caller is answered with the run's result, waited
 * for through a ReplyWindow opened before the event is accepted. An endpoint that declares operations
 * (`openapi`) also serves `/openapi.json` and `/.well-known/ai-plugin.json` (public) and an MCP server
 * at `/mcp` (with the endpoint's auth), each tool call a run.
 */
@Injectable()
export class HttpIngress implements ProviderIngress {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly endpoints: EndpointsService,
    private readonly guard: EndpointGuard,
    private readonly replies: ReplyWindow,
  ) {}

  /**
   * @throws CodedError ENDPOINT_NOT_FOUND (404: unknown key, undeployed), ENDPOINT_PAUSED (503),
   *   ENDPOINT_UNAUTHORIZED (401), NOT_CONFIGURED (503), `entity.too.large` (413) over
   *   ENDPOINT_BODY_LIMIT_BYTES, ENDPOINT_TIMEOUT (504), ENDPOINT_FAILED (502 with the run id),
   *   EVENT_NOT_QUEUED (503: Redis cannot take the request).
   */
  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const slash = request.path.indexOf('/');
    const key = slash < 0 ? request.path : request.path.slice(0, slash);
    const path = slash < 0 ? '/' : request.path.slice(slash);
    const endpoint = await this.endpoints.resolve(key);
    const openapi = endpoint.options.openapi;
    const described =
      openapi && (request.method === 'GET' || request.method === 'HEAD') ? this.description(endpoint, openapi, path) : undefined;
    if (described) return described;
    if (request.raw.length > this.config.endpoints.bodyLimitBytes) {
      throw new CodedError('entity.too.large', `request bodies are limited to ${this.config.endpoints.bodyLimitBytes} bytes`);
    }
    await this.guard.check(endpoint, request);
    if (openapi && path === MCP_PATH) {
      return answerMcp(openapi, request, `${endpoint.url}${MCP_PATH}`, (payload) => this.call(endpoint, payload, accept));
    }
    return answerOf(await this.call(endpoint, requestPayload(request, path, this.guard.withheld(endpoint)), accept));
  }

  /**
   * What an endpoint that declares operations publishes without authentication (assistants read these
   * before they have any token): `/openapi.json` and `/.well-known/ai-plugin.json`. Undefined for any
   * other path, which goes to the flow.
   * @throws CodedError ENDPOINT_NOT_FOUND for the manifest of an HMAC endpoint (no assistant can sign).
   */
  private description(endpoint: ResolvedEndpoint, openapi: EndpointOpenApi, path: string): IngressAnswer | undefined {
    const published = { url: endpoint.url, auth: endpoint.options.auth, openapi };
    if (path === OPENAPI_PATH) return { status: 200, body: openApiDocument(published) };
    if (path !== MANIFEST_PATH) return undefined;
    const manifest = pluginManifest(published);
    if (!manifest) throw new CodedError('ENDPOINT_NOT_FOUND', 'an endpoint authenticated by HMAC signatures has no plugin manifest');
    return { status: 200, body: manifest };
  }

  /**
   * Runs `endpoint`'s flow for one request and waits for the run's reply.
   * @throws CodedError ENDPOINT_TIMEOUT (504) past ENDPOINT_TIMEOUT_MS, EVENT_NOT_QUEUED (503).
   */
  async call(endpoint: ResolvedEndpoint, payload: HttpRequest, accept: AcceptEvent): Promise<EndpointReply> {
    const deliveryId = randomUUID();
    const timeoutMs = this.config.endpoints.timeoutMs;
    let pending: PendingReply;
    try {
      pending = await this.replies.open(replyWindowId(deliveryId), timeoutMs + WINDOW_GRACE_MS);
    } catch (error) {
      throw new CodedError('EVENT_NOT_QUEUED', 'the request could not be queued; try again later', { cause: error });
    }
    let eventId: string;
    try {
      ({ eventId } = await accept({
        provider: HTTP_PROVIDER,
        deliveryId,
        name: REQUEST_EVENT,
        target: `${endpoint.flow.id}/${endpoint.name}`,
        // Its own conversation: requests to one endpoint run concurrently, in no order.
        conversationKey: deliveryId,
        payload,
      }));
    } catch (error) {
      await pending.wait(0);
      throw error;
    }
    const reply = await pending.wait(timeoutMs);
    if (reply === undefined) {
      throw new CodedError('ENDPOINT_TIMEOUT', `the flow did not answer within ${timeoutMs} ms`, { details: { eventId } });
    }
    return reply as EndpointReply;
  }
}
