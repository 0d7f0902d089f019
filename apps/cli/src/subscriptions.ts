/** A subscription as the API and `discoverSubscriptions` describe it. */
export interface Subscription {
  provider: string;
  target: string;
  event: string;
}

/**
 * Groups subscriptions by source, one string per source: `github octo/hello: issues, issue_comment`.
 */
export function describeSubscriptions(subscriptions: Subscription[]): string[] {
  const bySource = new Map<string, string[]>();
  for (const { provider, target, event } of subscriptions) {
    const source = `${provider} ${target}`;
    bySource.set(source, [...(bySource.get(source) ?? []), event]);
  }
  return [...bySource].map(([source, events]) => `${source}: ${events.join(', ')}`);
}
