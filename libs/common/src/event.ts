/**
 * The one internal event envelope every provider's ingress converts to ("one adapter
 * per source"). Everything after the ingress is provider-agnostic and reads only this.
 */
/** A provider adapter's id (`github`, `slack`, `telegram`, …; see ProviderAdapter.id). */
export type Provider = string;

export interface EventEnvelope {
  provider: Provider;
  /** The vendor's delivery id (`X-GitHub-Delivery`, Slack's `event_id`); redeliveries carry the same one. */
  deliveryId: string;
  /** The vendor's event name (`X-GitHub-Event`, Slack's `event.type`). */
  name: string;
  /** `payload.action` when present. */
  action?: string;
  /**
   * What subscriptions match on: `owner/repo`, lower-cased, for GitHub; `<team id>/<channel id>` for
   * Slack; absent for app-level events.
   */
  target?: string;
  /**
   * GitHub only: the id of the repository webhook the delivery came through (`X-GitHub-Hook-ID`, sent
   * with `X-GitHub-Hook-Installation-Target-Type: repository`), a decimal string; absent for App
   * deliveries, other providers and deliveries without the header. Routing attributes a delivery
   * without `installation` to the owner of the token connection that created this hook.
   */
  hookId?: string;
  /**
   * Events with the same key run in arrival order (an issue, a pull request, a thread, a chat or its
   * topic). The adapter's choice; documented with its envelope.
   */
  conversationKey: string;
  /** The body as the vendor sent it, parsed from JSON. */
  payload: unknown;
}
