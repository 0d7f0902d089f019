import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

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
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('flows_owner_name').on(t.ownerId, t.name)],
);

export type DeploymentStatus = 'active' | 'superseded' | 'undeployed';

/** One uploaded version of a flow: the esbuild bundle and the deploy-time variables (`env`). */
export const deployments = pgTable(
  'deployments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flowId: uuid('flow_id')
      .notNull()
      .references(() => flows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    bundle: text('bundle').notNull(),
    env: jsonb('env').$type<Record<string, string>>().notNull().default({}),
    status: text('status').$type<DeploymentStatus>().notNull(),
    createdAt: createdAt(),
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
 * A connected account: a GitHub App installation (`externalId` = installation id) or a Slack
 * workspace (`externalId` = team id, `accountLogin` = team name; its bot token sealed in `credentials`).
 */
export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The user who connected the account; null for an installation seen in an event before anyone connected it. */
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
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
  (t) => [uniqueIndex('connections_provider_external').on(t.provider, t.externalId)],
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
