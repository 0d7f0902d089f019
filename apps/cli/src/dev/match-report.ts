import type { DeclaredSubscription } from '@openflows/runtime';
import type { DevEvent } from './dev-event';

/**
 * Why no handler of the flow matched the event, in one sentence: the event name is not subscribed,
 * or the event's repository is not one the flow listens to (with the fix).
 */
export function explainNoMatch(subscriptions: DeclaredSubscription[], event: DevEvent): string {
  const sameProvider = subscriptions.filter((s) => s.provider === event.provider);
  const forEvent = sameProvider.filter((s) => s.event === event.name);
  if (forEvent.length === 0) {
    const names = [...new Set(sameProvider.map((s) => s.event))].join(', ');
    return `no handler matched: the flow does not listen to "${event.name}" events (it listens to: ${names || 'nothing on GitHub'})`;
  }
  const targets = [...new Set(forEvent.map((s) => s.target))];
  if (!targets.includes(event.target ?? '')) {
    return (
      `no handler matched: the event is for repository ${event.target ?? '(none)'}, but the flow listens to "${event.name}" on ` +
      `${targets.join(', ')}; pass --repo ${targets[0]} or set the flow's variables with --env`
    );
  }
  return 'no handler matched: run() did not call listenToEvent for this event this time';
}
