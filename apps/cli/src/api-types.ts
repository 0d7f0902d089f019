/**
 * The REST API's answers as JSON carries them (dates are ISO strings): the types generated from the
 * API's OpenAPI description (`@openflows/api-types`, `npm run generate:api-types`), under the CLI's names.
 */
import type {
  ConnectCodeView,
  ConnectionView,
  DeploymentView,
  EndpointView,
  FlowView,
  RunDetailView,
  RunView,
  ScheduleView,
  SecretView,
} from '@openflows/api-types';

export type FlowJson = FlowView;
export type EndpointJson = EndpointView;
export type ScheduleJson = ScheduleView;
export type DeploymentJson = DeploymentView;
export type ConnectionJson = ConnectionView;
export type ConnectCodeJson = ConnectCodeView;
export type RunJson = RunView;
export type RunDetailJson = RunDetailView;
export type SecretJson = SecretView;
