/**
 * Which GitHub App permissions an installation needs to receive a webhook event, and whether an
 * installation of the App receives one. From GitHub's "Webhook events and payloads": each event's
 * availability names the repository permission of which a GitHub App needs at least read access to
 * subscribe to it (permission names as the REST API spells them, `pull_requests`…).
 */

/** Events every installation receives without subscribing to them. */
const ALWAYS_DELIVERED: ReadonlySet<string> = new Set([
  'installation',
  'installation_repositories',
  'installation_target',
  'github_app_authorization',
  'ping',
]);

/** Repository permissions by event: one of them (read, write or admin) lets an installation receive it. */
const EVENT_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  branch_protection_rule: ['administration'],
  check_run: ['checks'],
  check_suite: ['checks'],
  code_scanning_alert: ['security_events'],
  commit_comment: ['contents'],
  create: ['contents'],
  delete: ['contents'],
  dependabot_alert: ['vulnerability_alerts'],
  deployment: ['deployments'],
  deployment_status: ['deployments'],
  discussion: ['discussions'],
  discussion_comment: ['discussions'],
  fork: ['contents'],
  gollum: ['contents'],
  issue_comment: ['issues', 'pull_requests'],
  issues: ['issues'],
  label: ['metadata'],
  merge_group: ['merge_queues'],
  milestone: ['issues', 'pull_requests'],
  page_build: ['pages'],
  public: ['metadata'],
  pull_request: ['pull_requests'],
  pull_request_review: ['pull_requests'],
  pull_request_review_comment: ['pull_requests'],
  pull_request_review_thread: ['pull_requests'],
  push: ['contents'],
  release: ['contents'],
  repository: ['metadata'],
  repository_dispatch: ['contents'],
  secret_scanning_alert: ['secret_scanning_alerts'],
  star: ['metadata'],
  status: ['statuses'],
  watch: ['metadata'],
  workflow_job: ['actions'],
  workflow_run: ['actions'],
};

/** What the App declares in its settings (`GET /app`): the events it subscribes to and its permissions. */
export interface AppEventSettings {
  events: string[];
  permissions: Record<string, string>;
}

/**
 * Whether an installation with `permissions` receives `event`: `covered`, or what is missing — the
 * App does not subscribe to the event (`event`; `permissions` then names what the App needs for it),
 * or the installation has not granted any of `permissions` (`permission`: its owner has not accepted
 * them yet). `app` undefined (GitHub did not say) checks the permissions only.
 */
export type EventCoverage = { covered: true } | { covered: false; missing: 'event' | 'permission'; permissions: readonly string[] };

/** See {@link EventCoverage}. Events this table does not know are checked against the App's events only. */
export function eventCoverage(event: string, app: AppEventSettings | undefined, permissions: Record<string, string>): EventCoverage {
  if (ALWAYS_DELIVERED.has(event)) return { covered: true };
  const needed = EVENT_PERMISSIONS[event] ?? [];
  if (app && !app.events.includes(event)) return { covered: false, missing: 'event', permissions: needed };
  if (needed.length > 0 && !needed.some((p) => permissions[p])) return { covered: false, missing: 'permission', permissions: needed };
  return { covered: true };
}

/** A permission as GitHub's settings page labels it: `pull_requests` → `Pull requests`. */
export function permissionLabel(permission: string): string {
  const words = permission.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
