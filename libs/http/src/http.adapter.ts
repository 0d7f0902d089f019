import { Injectable, Logger } from '@nestjs/common';
import {
  CodedError,
  ReplyWindow,
  errorMessage,
  type EventRouting,
  type ProviderAdapter,
  type ProviderCard,
  type ProviderConnections,
  type ProviderRunBinding,
  type ProviderSubscriptions,
  type RoutedEvent,
  type RunCompletion,
  type SubscriptionDeclaration,
} from '@openflows/common';
import { FlowsRepository } from '@openflows/db';
import { ENDPOINT_NAME } from '@openflows/sdk';
import { EndpointsService, HTTP_PROVIDER, endpointOptions } from './endpoints.service';
import type { EndpointReply } from './exchange';
import { HttpIngress, replyWindowId } from './http-ingress';

const CARD: ProviderCard = {
  title: 'HTTP endpoints',
  icon: '⇄',
  connectedText: '',
  empty:
    "Nothing to connect: each http.endpoint(name) of a flow gets its own URL at deploy, shown on the flow's page and by `openflows endpoints <flow>`.",
  source: 'http.endpoint(name, { auth?, openapi? })',
  docs: 'http-endpoints-and-schedules',
};

/** What the event's target holds: `<flow id>/<endpoint name>` (see HttpIngress). */
function parseTarget(target: string | null | undefined): { flowId: string; name: string } | undefined {
  const slash = target?.indexOf('/') ?? -1;
  return target && slash > 0 ? { flowId: target.slice(0, slash), name: target.slice(slash + 1) } : undefined;
}

/**
 * HTTP endpoint flows as a provider: `http.endpoint(name, options)` subscriptions, served at
 * `/f/<key>/…` by {@link HttpIngress}. A request reaches only the flow its key names (`flows` of the
 * routing), and the run's result goes back to the api waiting for it ({@link completeRun}).
 */
@Injectable()
export class HttpAdapter implements ProviderAdapter {
  readonly id = HTTP_PROVIDER;
  private readonly logger = new Logger(HttpAdapter.name);

  readonly connections: ProviderConnections = { card: () => CARD, details: () => [] };

  /**
   * Nothing to register with a vendor: an endpoint is there as soon as its flow is live. `check`
   * refuses malformed options and an endpoint declared twice with different options; `describe`
   * lists the endpoints' URLs (making their keys on first show).
   */
  readonly subscriptions: ProviderSubscriptions = {
    check: (_ownerId, subscriptions) => Promise.resolve(this.check(subscriptions)),
    explain: () => '',
    sync: () => Promise.resolve(),
    describe: async (flow, subscriptions) => ({
      endpoints: await this.endpoints.list(
        flow,
        subscriptions.map((s) => s.target),
      ),
    }),
  };

  constructor(
    readonly ingress: HttpIngress,
    private readonly endpoints: EndpointsService,
    private readonly flows: FlowsRepository,
    private readonly replies: ReplyWindow,
  ) {}

  applyBookkeeping(): Promise<void> {
    return Promise.resolve();
  }

  async route(event: RoutedEvent): Promise<EventRouting> {
    const target = parseTarget(event.target);
    const flow = target && (await this.flows.findById(target.flowId));
    if (!target || !flow) return { dropped: "the endpoint's flow is gone" };
    return { owners: [flow.ownerId], targets: [target.name], events: [event.name], flows: [flow.id] };
  }

  /** The handler's source is `http.endpoint(name)`: the run matches it under the endpoint's name. */
  bindRun(_ownerId: string, event: RoutedEvent): Promise<ProviderRunBinding> {
    const name = parseTarget(event.target)?.name ?? '';
    return Promise.resolve({ context: { endpoint: name }, capabilities: {}, targets: [name] });
  }

  unbound(): ProviderRunBinding {
    return { context: {}, capabilities: {} };
  }

  /** Delivers the run's result (or its failure, with the run's id) to the api waiting on the request's ReplyWindow. */
  async completeRun(event: RoutedEvent, completion: RunCompletion): Promise<boolean> {
    const reply: EndpointReply = completion.ok
      ? { ok: true, runId: completion.runId, result: completion.result }
      : { ok: false, runId: completion.runId };
    try {
      return await this.replies.deliver(replyWindowId(event.deliveryId), reply);
    } catch (error) {
      this.logger.warn(`could not hand run ${completion.runId}'s reply to its caller: ${errorMessage(error)}`);
      return false;
    }
  }

  /** @throws CodedError FLOW_INVALID for a bad name or options, or one endpoint declared with two sets of options. */
  private check(subscriptions: SubscriptionDeclaration[]): boolean[] {
    const declared = new Map<string, string>();
    for (const s of subscriptions) {
      if (!ENDPOINT_NAME.test(s.target) || s.target !== s.target.toLowerCase()) {
        throw new CodedError('FLOW_INVALID', `"${s.target}" is no endpoint name: use http.endpoint(name) with [A-Za-z0-9_-]`);
      }
      const options = JSON.stringify(endpointOptions(s.target, s.options ?? undefined));
      if (declared.has(s.target) && declared.get(s.target) !== options) {
        throw new CodedError('FLOW_INVALID', `endpoint "${s.target}" is declared twice with different options`);
      }
      declared.set(s.target, options);
    }
    return subscriptions.map(() => true);
  }
}
