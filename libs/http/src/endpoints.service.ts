import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, CodedError, type AppConfig, type FlowRef } from '@openflows/common';
import { EndpointKeysRepository, type Flow } from '@openflows/db';
import { SdkError, checkEndpointOptions, type EndpointOptions } from '@openflows/sdk';

/** The provider id of HTTP endpoints: `EventSource.provider` of `http.endpoint(name)`. */
export const HTTP_PROVIDER = 'http';

/** An endpoint as a request resolves it: its flow, its name and the options its live deployment declared. */
export interface ResolvedEndpoint {
  flow: Flow;
  name: string;
  options: EndpointOptions;
  /** `<PUBLIC_URL>/f/<key>`, without a trailing slash. */
  url: string;
}

/** One endpoint of a flow as the API lists it. */
export interface EndpointView {
  name: string;
  url: string;
}

/** 24 random bytes as base64url: 32 URL-safe characters, 192 bits a caller cannot guess. */
const newKey = () => randomBytes(24).toString('base64url');

/**
 * The options an endpoint's subscription stores, checked again on the host (the flow may have handed
 * `listenToEvent` a raw source instead of `http.endpoint`'s).
 * @throws CodedError FLOW_INVALID naming the endpoint.
 */
export function endpointOptions(endpoint: string, options: unknown): EndpointOptions {
  try {
    return checkEndpointOptions(options);
  } catch (error) {
    if (error instanceof SdkError) throw new CodedError('FLOW_INVALID', `http.endpoint("${endpoint}"): ${error.message}`);
    throw error;
  }
}

/** The URLs of HTTP endpoints: their keys (made on first show, kept across redeploys, rotatable) and what a key opens. */
@Injectable()
export class EndpointsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: EndpointKeysRepository,
  ) {}

  /** The URLs of `flow`'s endpoints named `names` (lower-case), making a key for those that have none yet. */
  async list(flow: FlowRef, names: string[]): Promise<EndpointView[]> {
    const unique = [...new Set(names)].sort();
    const keys = await this.keys.ensure(flow.id, Object.fromEntries(unique.map((name) => [name, newKey()])));
    return unique.map((name) => ({ name, url: this.url(keys[name]) }));
  }

  /**
   * Gives `flowId`'s endpoint `name` a new key: the old URL stops working at once.
   * @throws CodedError ENDPOINT_NOT_FOUND when the endpoint never had a URL.
   */
  async rotate(flowId: string, name: string): Promise<EndpointView> {
    const key = newKey();
    if (!(await this.keys.rotate(flowId, name.toLowerCase(), key))) {
      throw new CodedError('ENDPOINT_NOT_FOUND', `the flow has no endpoint named ${name}`);
    }
    return { name: name.toLowerCase(), url: this.url(key) };
  }

  /**
   * The endpoint `key` opens, if it can take requests.
   * @throws CodedError ENDPOINT_NOT_FOUND (404) for an unknown key or a flow that is undeployed or no
   *   longer declares the endpoint; ENDPOINT_PAUSED (503) while the flow is paused; FLOW_INVALID (400)
   *   for stored options that do not parse.
   */
  async resolve(key: string): Promise<ResolvedEndpoint> {
    const found = key === '' ? undefined : await this.keys.findByKey(key, HTTP_PROVIDER);
    if (!found || !found.live) throw new CodedError('ENDPOINT_NOT_FOUND', 'no endpoint here');
    if (found.flow.pausedAt) throw new CodedError('ENDPOINT_PAUSED', 'the flow behind this endpoint is paused; try again later');
    return { flow: found.flow, name: found.endpoint, options: endpointOptions(found.endpoint, found.options), url: this.url(key) };
  }

  private url(key: string): string {
    return `${this.config.publicUrl}/f/${key}`;
  }
}
