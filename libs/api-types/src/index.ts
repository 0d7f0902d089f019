/**
 * The REST API's JSON shapes for its clients (the dashboard, the CLI), generated from the API's OpenAPI
 * description: `npm run generate:api-types` writes docs/openapi.json from the DTOs of apps/api and
 * ./openapi.ts from it with openapi-typescript; `npm run check:api-types` (in `check:static`) fails when
 * either is stale. Dates are ISO 8601 strings here. Types only: nothing of this reaches run time.
 */
import type { components } from './openapi';

export type { components, paths } from './openapi';

type Schemas = components['schemas'];

export type RunView = Schemas['RunView'];
export type RunDetailView = Schemas['RunDetailView'];
export type RunLogView = Schemas['RunLogView'];
export type EventSummaryView = Schemas['EventSummaryView'];
export type EventDetailView = Schemas['EventDetailView'];
export type ReplayView = Schemas['ReplayView'];
export type FlowView = Schemas['FlowView'];
export type FlowVariableView = Schemas['FlowVariableView'];
export type SubscriptionView = Schemas['SubscriptionView'];
export type DeploymentView = Schemas['DeploymentView'];
export type DeploymentDetailView = Schemas['DeploymentDetailView'];
export type EndpointView = Schemas['EndpointView'];
export type ScheduleView = Schemas['ScheduleView'];
export type InspectGitView = Schemas['InspectGitView'];
export type ConnectionView = Schemas['ConnectionView'];
export type ConnectFieldView = Schemas['ConnectFieldView'];
export type ProviderView = Schemas['ProviderView'];
export type SecretView = Schemas['SecretView'];
export type LlmKeyCheckView = Schemas['LlmKeyCheckView'];
export type ConnectCodeView = Schemas['ConnectCodeView'];
export type TokenView = Schemas['TokenView'];
export type CreatedTokenView = Schemas['CreatedTokenView'];
export type LlmUsageView = Schemas['LlmUsageView'];
