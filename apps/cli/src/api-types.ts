/**
 * The REST API's answers as JSON carries them (dates are ISO strings). They mirror the DTOs of
 * `apps/api` (`flows.dto.ts`, `runs.dto.ts`, `secrets.dto.ts`), limited to the fields the CLI shows.
 */
import type { Subscription } from './subscriptions';

export interface FlowJson {
  id: string;
  name: string;
  status: 'pending' | 'building' | 'unregistered' | 'running' | 'paused' | 'error' | 'undeployed';
  /** Why a flow is `unregistered` (the repositories no installation covers and the install link) or `error` (why its build failed). */
  reason?: string;
  version?: number;
  deployedAt?: string;
  env: Record<string, string>;
  subscriptions: Subscription[];
  /** One flow's view only (`GET /api/flows/:name`): its HTTP endpoints and schedules. */
  endpoints?: EndpointJson[];
  schedules?: ScheduleJson[];
}

export interface EndpointJson {
  name: string;
  url: string;
}

export interface ScheduleJson {
  expression: string;
  timezone: string;
  nextRunAt?: string;
}

export interface DeploymentJson {
  version: number;
  status: string;
  live: boolean;
  source:
    { kind: 'bundle' } | { kind: 'git'; url: string; branch?: string; path?: string; commit?: string } | { kind: 'upload'; files: number };
  error?: string;
  createdAt: string;
}

export interface ConnectionJson {
  id: string;
  provider: string;
  externalId: string;
  account: string;
  status: string;
  reason?: string | null;
  createdAt: string;
}

/** `POST /api/connect-codes`: a one-time code for `/connect/<provider>?code=…`. */
export interface ConnectCodeJson {
  code: string;
  expiresAt: string;
}

export interface RunJson {
  id: string;
  status: string;
  attempts: number;
  error?: string | null;
  promptTokens: number;
  completionTokens: number;
  /** Estimated USD of the LLM calls; absent from older platforms. */
  costUsd?: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationMs?: number | null;
  createdAt: string;
}

export interface RunDetailJson extends RunJson {
  event: { name: string; action?: string | null; deliveryId: string; target?: string | null; receivedAt: string };
  logs: { attempt: number; level: string; message: string; fields?: Record<string, unknown> | null; at: string }[];
}

export interface SecretJson {
  name: string;
  /** Absent from platforms older than secret kinds. */
  kind?: 'llm' | 'generic';
  last4: string;
  baseURL?: string;
  model?: string;
  updatedAt: string;
  lastUsedAt?: string;
  /** The flow whose run used it last. */
  lastUsedBy?: string;
  /** LLM keys: the provider's verdict when the key was stored. */
  check?: { status: 'ok' | 'failed'; checkedAt: string; error?: string };
}
