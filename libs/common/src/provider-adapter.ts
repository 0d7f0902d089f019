import { SdkError, type FlowLogger } from '@openflows/sdk';

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
 * names, and `message.<subtype>` for subtypes flows opt into); or why it reaches nobody.
 */
export type EventRouting = { owners: string[]; targets: string[]; events: string[] } | { dropped: string };

/** One SDK call of a provider behind the isolation bridge: arguments as the flow sent them (parsed JSON), a JSON-copyable result. */
export type ProviderCapability = (args: unknown[]) => Promise<unknown>;

/**
 * The provider's part of one run, on the host side of the bridge: the context its SDK namespace reads
 * synchronously (`github.context`, `slack.context`), its calls by capability name (`github.rest`,
 * `slack.apiCall`: the guest's facade sends these), and, for the run's own event, every target and
 * event name `listenToEvent` may match it under.
 */
export interface ProviderRunBinding {
  context: unknown;
  capabilities: Record<string, ProviderCapability>;
  targets?: string[];
  names?: string[];
}

/**
 * One chat app or SaaS, as the provider-agnostic pipeline sees it (CONTRIBUTING, "add a provider").
 * Adapters are listed in one registry (`libs/providers`); routing and runs iterate over it and never
 * name a provider.
 */
export interface ProviderAdapter {
  /** `EventEnvelope.provider` of its events and `EventSource.provider` of its subscriptions, e.g. `github`. */
  readonly id: string;
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
  /** What a run gets for another provider's event: an empty context, capabilities that say why they are not bound. */
  unbound(): ProviderRunBinding;
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
