import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export type UserProvider = 'github' | 'local';

/**
 * Who owns flows, secrets and connections: a GitHub account signed in through OAuth (`externalId` =
 * GitHub user id), or the built-in local user of single-user mode (`externalId` = `local`).
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    provider: text('provider').$type<UserProvider>().notNull(),
    externalId: text('external_id').notNull(),
    login: text('login').notNull(),
    /** Local accounts only: argon2id hash (PHC string) of the password; null for GitHub users. */
    passwordHash: text('password_hash'),
    /** May open the operators' pages (`/admin/queues`). */
    admin: boolean('admin').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_provider_external').on(t.provider, t.externalId)],
);

/** Personal API tokens: only the SHA-256 hash of the token is kept; the token is shown once. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** What the owner called it (e.g. `laptop CLI`), to tell tokens apart when revoking one. */
  name: text('name').notNull().default('API token'),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

/** Dashboard sessions: the cookie holds a random id of which only the SHA-256 hash is kept here. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user').on(t.userId)],
);

/** A named flow of one owner; its live code is the deployment `activeDeploymentId` points at (none: undeployed). */
export const flows = pgTable(
  'flows',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    activeDeploymentId: uuid('active_deployment_id'),
    /** Set while the owner paused the flow: its live deployment stays, but events do not reach it. */
    pausedAt: timestamp('paused_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('flows_owner_name').on(t.ownerId, t.name)],
);

/** `building` until the bundle exists; `failed` when the build or the subscription check failed (see `buildLog`). */
export type DeploymentStatus = 'building' | 'failed' | 'active' | 'superseded' | 'undeployed';

/**
 * Where a deployment's code came from: a bundle sent by the CLI, a git repository (URL, branch,
 * sub-folder and the commit built), or a folder uploaded from the dashboard.
 */
export type DeploymentSource =
  { kind: 'bundle' } | { kind: 'git'; url: string; branch?: string; path?: string; commit?: string } | { kind: 'upload'; files: number };

/** One version of a flow: its source, build log, the esbuild bundle (once built) and the deploy-time variables (`env`). */
export const deployments = pgTable(
  'deployments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flowId: uuid('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** Null while `building` and when the build `failed`. */
    bundle: text('bundle'),
    env: jsonb('env').$type<Record<string, string>>().notNull().default({}),
    status: text('status').$type<DeploymentStatus>().notNull(),
    source: jsonb('source').$type<DeploymentSource>().notNull().default({ kind: 'bundle' }),
    /** What the build printed (clone, install, esbuild, subscription check), for the deployment history. */
    buildLog: text('build_log').notNull().default(''),
    /** Why the deployment `failed`, in one line. */
    error: text('error'),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('deployments_flow_version').on(t.flowId, t.version)],
);

/**
 * What a deployment's `run()` listened to: provider, target (`owner/repo`, lower-case) and event name.
 * `registered` is false while no active GitHub App installation covers a GitHub target (the flow shows
 * as `unregistered`); it follows the installations. Routing does not read it.
 */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deploymentId: uuid('deployment_id')
      .notNull()
      .references(() => deployments.id, { onDelete: 'cascade' }),
    flowId: uuid('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    target: text('target').notNull(),
    event: text('event').notNull(),
    /** `EventSource.options` as the flow declared them (Discord's slash commands…), for the provider's registration. */
    options: jsonb('options').$type<Record<string, unknown>>(),
    registered: boolean('registered').notNull().default(true),
  },
  (t) => [index('subscriptions_match').on(t.provider, t.target, t.event)],
);

/**
 * `active`; `revoked` when the account took the app away (Slack `app_uninstalled`/`tokens_revoked`,
 * GitHub `installation.deleted`); `error` when it is there but unusable (GitHub `installation.suspend`).
 * `statusReason` says which.
 */
export type ConnectionStatus = 'active' | 'revoked' | 'error';

/**
 * How an account is connected: a GitHub App installation, a GitHub token (`admin:repo_hook`), a Slack
 * workspace, a chat app's app (Feishu/Lark: app id and secret), a chat bot connected with its token
 * (Telegram), an account connected with its credentials (a WeChat Official Account: AppID and AppSecret).
 */
export type ConnectionKind = 'installation' | 'token' | 'workspace' | 'app' | 'bot' | 'account';

/**
 * A connected account: a GitHub App installation (`externalId` = installation id), a GitHub account
 * connected with a token (`externalId` = GitHub user id, the token sealed in `credentials`) or a Slack
 * workspace (`externalId` = team id, `accountLogin` = team name; its bot token sealed in `credentials`).
 */
export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The user who connected the account; null for an installation seen in an event before anyone connected it. */
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    kind: text('kind').$type<ConnectionKind>().notNull().default('installation'),
    externalId: text('external_id').notNull(),
    accountLogin: text('account_login').notNull(),
    accountType: text('account_type'),
    repositorySelection: text('repository_selection').$type<'all' | 'selected'>().notNull(),
    /** `owner/repo`, lower-case; meaningful when `repositorySelection` is `selected`. */
    repositories: jsonb('repositories').$type<string[]>().notNull().default([]),
    permissions: jsonb('permissions').$type<Record<string, string>>().notNull().default({}),
    status: text('status').$type<ConnectionStatus>().notNull(),
    /** Why the status is not `active` (e.g. `app_uninstalled`), for the connections listing. */
    statusReason: text('status_reason'),
    /** Slack: the bot user the installation created; its own messages are never routed to flows. */
    botUserId: text('bot_user_id'),
    /** Slack: bot token (and refresh token, expiry) as JSON sealed with AES-256-GCM under the master key. */
    credentials: text('credentials'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('connections_provider_external').on(t.provider, t.kind, t.externalId)],
);

/**
 * Repository webhooks the platform created through a token connection (`POST /repos/{owner}/{repo}/hooks`):
 * one per (connection, repository), its `events` the union of what live flows listen to there; removed
 * when no live flow needs it.
 */
export const repositoryWebhooks = pgTable(
  'repository_webhooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** `owner/repo`, lower-case. */
    repository: text('repository').notNull(),
    /** The hook id GitHub returned. */
    hookId: text('hook_id').notNull(),
    events: jsonb('events').$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('repository_webhooks_connection_repository').on(t.connectionId, t.repository)],
);

export type EventStatus = 'received' | 'queued' | 'routed';

/** Every accepted delivery, once: `(provider, deliveryId)` is unique, which makes redeliveries no-ops. */
export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    provider: text('provider').notNull(),
    deliveryId: text('delivery_id').notNull(),
    name: text('name').notNull(),
    action: text('action'),
    target: text('target'),
    conversationKey: text('conversation_key').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status').$type<EventStatus>().notNull(),
    /** A replay's original event: the copy has its own delivery id and runs. */
    replayOf: uuid('replay_of'),
    /**
     * GitHub's id of the repository webhook the delivery came through (`X-GitHub-Hook-ID`); null for App
     * deliveries, Slack, and events stored before it was kept. Matches `repository_webhooks.hook_id`.
     */
    hookId: text('hook_id'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('events_provider_delivery').on(t.provider, t.deliveryId), index('events_received_at').on(t.receivedAt)],
);

export type RunStatus = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed';

/** One execution of one flow for one event, with its outcome; attempts count BullMQ retries. */
export const runs = pgTable(
  'runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    flowId: uuid('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    deploymentId: uuid('deployment_id')
      .notNull()
      .references(() => deployments.id, { onDelete: 'cascade' }),
    status: text('status').$type<RunStatus>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    /** Estimated USD of the run's LLM calls over all attempts (the price table of `@openflows/llm`, or the key's prices). */
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('runs_event_flow').on(t.eventId, t.flowId), index('runs_flow_created').on(t.flowId, t.createdAt)],
);

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Log lines of a run, per attempt, as the flow wrote them (plus the platform's own lines). */
export const runLogs = pgTable(
  'run_logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: uuid('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    level: text('level').$type<LogLevel>().notNull(),
    message: text('message').notNull(),
    fields: jsonb('fields').$type<Record<string, unknown>>(),
    at: timestamp('at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [index('run_logs_run').on(t.runId, t.id)],
);

/**
 * The random key in an HTTP endpoint's URL (`<PUBLIC_URL>/f/<key>/…`), one per (flow, endpoint name):
 * made the first time the endpoint is shown, kept across redeploys and undeploys, replaced by a
 * rotation (the old URL stops working at once), deleted with the flow.
 */
export const endpointKeys = pgTable(
  'endpoint_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flowId: uuid('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    /** `http.endpoint(name)`'s name, lower-case. */
    endpoint: text('endpoint').notNull(),
    /** 32 characters of base64url (24 random bytes). */
    key: text('key').notNull().unique(),
    createdAt: createdAt(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('endpoint_keys_flow_endpoint').on(t.flowId, t.endpoint)],
);
