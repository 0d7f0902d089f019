import { SdkError, type FlowLogger } from '@openflows/sdk';
import type { EventEnvelope } from './event';

/** A stored event as the provider adapters read it (a row of `events`, see EventEnvelope). */
export interface RoutedEvent {
  id: string;
  provider: string;
  name: string;
  action?: string | null;
  deliveryId: string;
  target?: string | null;
  hookId?: string | null;
  payload: unknown;
}

/**
 * Whose flows an event reaches: the owners, and the targets and event names their subscriptions are
 * matched on (GitHub: the one `owner/repo` and the event name; Slack: the channel under each of its
 * names, and `message.<subtype>` for subtypes flows opt into); `flows`, when given, the only flows
 * (ids) it may reach among those (an HTTP endpoint's request, a web chat's message: for the one flow its URL names); or
 * why it reaches nobody.
 */
export type EventRouting = { owners: string[]; targets: string[]; events: string[]; flows?: string[] } | { dropped: string };

/**
 * How one attempt of a run ended, for {@link ProviderAdapter.completeRun}: the run's result (the
 * return value of its handler, JSON-copied; undefined when none returned anything), or its error
 * message and whether BullMQ would try it again.
 */
export type RunCompletion = { runId: string; ok: true; result: unknown } | { runId: string; ok: false; error: string; willRetry: boolean };

/**
 * What a call with side effects is told by the run's effect journal (`libs/runtime/src/journal`):
 * `marker` names the run and step (`openflows:<run id>:<step>`); a capability that can leave it on
 * the vendor's side (an HTML comment in a GitHub comment, a Slack message's metadata) does, and with
 * `retry` set first looks for an effect of an earlier attempt carrying it, created after `since`
 * (ISO 8601), answering that instead of acting twice.
 */
export interface EffectContext {
  marker: string;
  retry: boolean;
  since: string;
}

/**
 * One SDK call of a provider behind the isolation bridge: arguments as the flow sent them (parsed
 * JSON), a JSON-copyable result. `effect` is given when the call is journaled as an effect.
 */
export type ProviderCapability = (args: unknown[], effect?: EffectContext) => Promise<unknown>;

/**
 * The provider's part of one run, on the host side of the bridge: the context its SDK namespace reads
 * synchronously (`github.context`, `slack.context`), its calls by capability name (`github.rest`,
 * `slack.apiCall`: the guest's facade sends these), and, for the run's own event, every target and
 * event name `listenToEvent` may match it under.
 */
export interface ProviderRunBinding {
  context: unknown;
  capabilities: Record<string, ProviderCapability>;
  /**
   * Whether a call of `capability` with `args` has side effects (journaled, never repeated by a retry).
   * Absent: every call of the provider counts as one, which is safe (a read replayed to a retry
   * answers what it answered before).
   */
  isEffect?(capability: string, args: unknown[]): boolean;
  targets?: string[];
  names?: string[];
}

/**
 * A request to `/webhooks/<provider>` or `/webhooks/<provider>/<path>`, as the generic ingress hands
 * it to the provider's adapter, before anything has read it.
 */
export interface IngressRequest {
  /** `GET`, `POST`, … as received (WeChat checks its URL with a GET). */
  method: string;
  /** What follows `/webhooks/<provider>/`: `''`, `events`, `interactions`, a connection id… */
  path: string;
  /** Header values by lower-cased name (the first one of a repeated header). */
  headers: Record<string, string | undefined>;
  /** Query parameters (the first value of a repeated one). */
  query: Record<string, string | undefined>;
  /** The exact bytes of the body (signatures are computed over them); empty for a GET. */
  raw: Buffer;
}

/** What the ingress answers the vendor: `body` is sent as JSON, or as is when it is a string and `type` is set. */
export interface IngressAnswer {
  status: number;
  body?: unknown;
  /** Content type of a string body: `text/plain`, `application/xml`… */
  type?: string;
  headers?: Record<string, string>;
}

/** What became of one envelope handed to {@link AcceptEvent}: `queued`, or `duplicate` of an earlier delivery. */
export interface AcceptedEvent {
  status: 'queued' | 'duplicate';
  eventId: string;
}

/**
 * Records `envelope` in the events table (once per delivery id) and puts it on the events queue.
 * @throws CodedError EVENT_NOT_QUEUED (503) when Redis cannot take it: the vendor should redeliver.
 */
export type AcceptEvent = (envelope: EventEnvelope) => Promise<AcceptedEvent>;

/** The provider's webhook: verify, parse into envelopes, answer as the vendor expects. */
export interface ProviderIngress {
  /**
   * Verifies `request` (signature, token, timestamp), answers handshakes (Slack's `url_verification`,
   * Lark's challenge, WeChat's `echostr`, Discord's `PING`), hands each event to `accept` and answers.
   * @throws CodedError NOT_CONFIGURED, SIGNATURE_INVALID, TIMESTAMP_INVALID, BODY_MALFORMED,
   *   DELIVERY_MALFORMED, DECRYPTION_FAILED; nothing is queued then.
   */
  receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer>;
}

/**
 * A row of `connections` as providers read it (the table's full row has more; see `libs/db`):
 * `credentials` is sealed with the master key (`encrypt` of `./crypto`) by the provider that wrote it.
 */
export interface StoredConnection {
  id: string;
  ownerId: string | null;
  provider: string;
  kind: string;
  externalId: string;
  accountLogin: string;
  status: string;
  statusReason: string | null;
  botUserId: string | null;
  credentials: string | null;
  repositories: string[];
}

/** A field of a provider's connect form, and of the JSON body of `POST /api/connections/<provider>`. */
export interface ConnectField {
  /** The body's property, e.g. `botToken`. */
  name: string;
  label: string;
  /** A credential: a password input, never shown again. */
  secret?: boolean;
  optional?: boolean;
  hint?: string;
  /** The allowed values (a select), e.g. Lark's `feishu` / `lark` domain. */
  choices?: string[];
}

/** What the dashboard's connection card and the deploy form render for a provider (`GET /api/providers`). */
export interface ProviderCard {
  /** `GitHub`, `Telegram`, … */
  title: string;
  /** One character or emoji shown before the title. */
  icon: string;
  /** The sentence shown once an account is connected. */
  connectedText: string;
  /** What the card says while no account is connected: what connecting gives. */
  empty: string;
  /** What the connect button says and where it goes for a browser round trip (OAuth, App install): `/connect/<id>`. */
  authorize?: { label: string; url: string };
  /** Token setup: the fields of `POST /api/connections/<id>`. */
  fields?: ConnectField[];
  /** With both `authorize` and `fields`: the link that opens the form (`Or use a personal access token…`). */
  fieldsLabel?: string;
  /** How a flow names a source of this provider, for the deploy form's help: `telegram.chat(account, chatId)`. */
  source: string;
  /** Anchor of the README section with the vendor console steps, e.g. `telegram`. */
  docs: string;
}

/** What connecting an account through the API gives back. */
export interface ConnectResult {
  /** The row in `connections` (created, or updated for an account connected again). */
  connectionId: string;
  /** The URL to paste into the vendor's console, where the vendor needs one (not Telegram: the platform registers it). */
  webhookUrl?: string;
}

/** Connecting, describing and disconnecting accounts of one provider. */
export interface ProviderConnections {
  card(): ProviderCard;
  /**
   * `POST /api/connections/<id>`: checks the credentials with the vendor (Telegram `getMe`…), stores
   * them sealed, registers what the platform registers itself (Telegram's webhook).
   * @throws CodedError CONNECT_INVALID (bad body), CREDENTIALS_INVALID (the vendor refused them),
   *   CONNECTION_TAKEN (another user's account), VENDOR_FAILED (unreachable).
   */
  connect?(ownerId: string, body: unknown): Promise<ConnectResult>;
  /** Before the row is deleted: undo what `connect` registered with the vendor (best effort, never throws). */
  disconnect?(connection: StoredConnection): Promise<void>;
  /** Lines the card shows under a connection (its repositories, bot user, the webhook URL to paste). */
  details(connection: StoredConnection): string[];
}

/** A flow as providers describe it: its id, owner, name and whether it is paused. */
export interface FlowRef {
  id: string;
  ownerId: string;
  name: string;
  paused: boolean;
}

/** A subscription of a deployment as its provider's registration sees it. */
export interface SubscriptionDeclaration {
  provider: string;
  target: string;
  event: string;
  /** `EventSource.options` as the flow declared them; null or absent for most sources. */
  options?: Record<string, unknown> | null;
}

/** Making sure the vendor delivers what flows subscribe to. */
export interface ProviderSubscriptions {
  /**
   * Whether each of `subscriptions` (all of this provider, of flows of `ownerId`) is registered, in
   * order: true only when a connection of the owner delivers those events.
   */
  check(ownerId: string, subscriptions: SubscriptionDeclaration[]): Promise<boolean[]>;
  /**
   * What `ownerId` should do about `unregistered` (never empty): sentences with the reason and the
   * fix, read from the vendor and the owner's connections where that takes a look (GitHub's App events).
   */
  explain(unregistered: SubscriptionDeclaration[], ownerId: string): string | Promise<string>;
  /**
   * After the owner's live subscriptions or connections changed (deploy, undeploy, pause, connect,
   * disconnect): create, update or remove what the vendor needs (repository webhooks, Discord's slash
   * commands) and correct the stored `registered` flags. Failures are logged, not thrown.
   */
  sync(ownerId: string): Promise<void>;
  /**
   * What the flow's API representation (`GET /api/flows/:name`) shows of what this provider set up for
   * `subscriptions` (this provider's, of the flow's live deployment): fields merged into the view,
   * e.g. the HTTP endpoints' `endpoints: [{ name, url }]`, the web chats' `webChats`. Absent: nothing to show.
   */
  describe?(flow: FlowRef, subscriptions: SubscriptionDeclaration[]): Promise<Record<string, unknown>>;
}

/**
 * One chat app or SaaS, as the provider-agnostic pipeline sees it (CONTRIBUTING, "add a provider").
 * Adapters are listed in one registry (`libs/providers`); ingress, routing, runs, connections and the
 * dashboard iterate over it and never name a provider.
 */
export interface ProviderAdapter {
  /**
   * `EventEnvelope.provider` of its events, `EventSource.provider` of its subscriptions, its SDK
   * namespace and the path of its webhook (`/webhooks/<id>`), e.g. `github`.
   */
  readonly id: string;
  /** Its webhook; none for a provider whose events arrive another way (a socket). */
  readonly ingress?: ProviderIngress;
  readonly connections: ProviderConnections;
  /** None: every subscription of the provider counts as registered. */
  readonly subscriptions?: ProviderSubscriptions;
  /** Connection bookkeeping an event carries (an installation added, a workspace uninstalled), done before routing. */
  applyBookkeeping(event: RoutedEvent): Promise<void>;
  /** Whose flows `event` reaches (see EventRouting). */
  route(event: RoutedEvent): Promise<EventRouting>;
  /**
   * What a run of a flow of `ownerId` gets for its own event: clients authenticated as the owner's
   * connection for the event. A missing connection is not an error here: its capabilities throw the
   * provider's NOT_CONNECTED SdkError when the flow uses them.
   */
  bindRun(ownerId: string, event: RoutedEvent, log: FlowLogger): Promise<ProviderRunBinding>;
  /**
   * What a run gets for ANOTHER provider's event (a schedule tick, an endpoint request, a chat
   * message), which carries no connection of this one: the owner's connection the flow's deploy-time
   * variables `env` name (each provider documents which), checked to be the owner's and active;
   * undefined when they name none, and the run gets {@link unbound}. Absent: always unbound.
   */
  bindAside?(ownerId: string, env: Record<string, string>, log: FlowLogger): Promise<ProviderRunBinding | undefined>;
  /** What a run gets for another provider's event: an empty context, capabilities that say why they are not bound. */
  unbound(): ProviderRunBinding;
  /**
   * After each attempt of a run of this provider's event: hands the outcome to whoever waits for it
   * (an HTTP endpoint's caller, through the ReplyWindow the ingress opened). Never throws.
   * @returns true when a waiting caller received it: a failed run is then not retried, since no one
   *   would hear a later attempt (the caller was answered 502 and may retry itself). Absent: nobody waits.
   */
  completeRun?(event: RoutedEvent, completion: RunCompletion): Promise<boolean>;
}

/** A capability's string argument. @throws SdkError INVALID_ARGUMENT naming `what` otherwise. */
export function textArgument(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new SdkError('INVALID_ARGUMENT', `${what} must be a string`);
  return value;
}

/** A capability's object argument (none: `{}`). @throws SdkError INVALID_ARGUMENT naming `what` otherwise. */
export function objectArgument(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new SdkError('INVALID_ARGUMENT', `${what} must be an object`);
  return value as Record<string, unknown>;
}

/** A binding whose every capability throws `error` (a provider not connected for this run). */
export function failingCapabilities(names: string[], error: () => Error): Record<string, ProviderCapability> {
  return Object.fromEntries(names.map((name) => [name, () => Promise.reject(error())]));
}
