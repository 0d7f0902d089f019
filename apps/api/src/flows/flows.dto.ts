import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { DeploymentSource, DeploymentStatus } from '@openflows/db';
import { FLOW_NAME } from '@openflows/runtime';

/** Largest bundle (`POST /api/flows`) and largest folder upload (`POST /api/flows/upload`, all files together). */
export const MAX_FLOW_SOURCE_BYTES = 5 * 1024 * 1024;

/** Body of `POST /api/flows`: a flow bundled by `openflows deploy` (esbuild, SDK external). */
export class DeployFlowDto {
  @ApiProperty({ example: 'github-chat', pattern: FLOW_NAME.source })
  @IsString()
  @Matches(FLOW_NAME)
  name!: string;

  @ApiProperty({ description: 'The flow bundle: one CommonJS file exporting run(); at most 5 MB.' })
  @IsString()
  @MaxLength(MAX_FLOW_SOURCE_BYTES)
  code!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Deploy-time variables read with env(name).',
    example: { owner: 'octo', repo: 'hello' },
  })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;
}

/** Body of `POST /api/flows/inspect-git`: where the flow's folder is. */
export class GitSourceDto {
  @ApiProperty({
    example: 'https://github.com/openflows/flows.git',
    description: 'https:// or http:// (file:// and local paths only with FLOW_SOURCES_ALLOW_LOCAL=true); no credentials.',
  })
  @IsString()
  @MaxLength(2000)
  url!: string;

  @ApiPropertyOptional({ example: 'main', description: "Default: the repository's default branch." })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  branch?: string;

  @ApiPropertyOptional({ example: 'flows/github-chat', description: 'Sub-folder holding the flow; relative, without "..".' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  path?: string;
}

/** Body of `POST /api/flows/git`: the flow's name, its git source and variables. */
export class DeployGitDto extends GitSourceDto {
  @ApiProperty({ example: 'github-chat', pattern: FLOW_NAME.source })
  @IsString()
  @Matches(FLOW_NAME)
  name!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Deploy-time variables read with env(name).',
    example: { owner: 'octo', repo: 'hello' },
  })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;
}

/** Text fields of the multipart `POST /api/flows/upload` (the files come in field `files`). */
export class UploadFlowDto {
  @ApiProperty({ example: 'github-chat', pattern: FLOW_NAME.source })
  @IsString()
  @Matches(FLOW_NAME)
  name!: string;

  @ApiPropertyOptional({ description: 'Deploy-time variables as a JSON object string.', example: '{"owner":"octo"}' })
  @IsOptional()
  @IsString()
  @MaxLength(64 * 1024)
  env?: string;
}

/** Body of `POST /api/flows/:name/redeploy`. */
export class RedeployFlowDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'New deploy-time variables; default: those of the latest deployment.',
  })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;
}

/** The three shapes of DeploymentSource (libs/db), as OpenAPI schemas. */
const DEPLOYMENT_SOURCES: NonNullable<ApiPropertyOptions['oneOf']> = [
  { type: 'object', properties: { kind: { type: 'string', enum: ['bundle'] } }, required: ['kind'] },
  {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['git'] },
      url: { type: 'string' },
      branch: { type: 'string' },
      path: { type: 'string' },
      commit: { type: 'string' },
    },
    required: ['kind', 'url'],
  },
  { type: 'object', properties: { kind: { type: 'string', enum: ['upload'] }, files: { type: 'number' } }, required: ['kind', 'files'] },
];

export class SubscriptionView {
  @ApiProperty({ example: 'github' }) provider!: string;
  @ApiProperty({ example: 'octo/hello' }) target!: string;
  @ApiProperty({ example: 'issue_comment' }) event!: string;
  @ApiProperty({ description: 'False while no active GitHub App installation covers the repository.' }) registered!: boolean;
}

export class FlowVariableView {
  @ApiPropertyOptional() description?: string;
  @ApiPropertyOptional() required?: boolean;
}

/** One deployment (version) of a flow. */
export class DeploymentView {
  @ApiProperty() id!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ enum: ['building', 'failed', 'active', 'superseded', 'undeployed'] }) status!: DeploymentStatus;
  @ApiProperty({ description: 'Whether this is the deployment that receives events now.' }) live!: boolean;
  @ApiProperty({
    oneOf: DEPLOYMENT_SOURCES,
    description: "{ kind: 'bundle' } | { kind: 'git', url, branch?, path?, commit? } | { kind: 'upload', files }",
    example: { kind: 'git', url: 'https://github.com/openflows/flows.git', branch: 'main', path: 'flows/github-chat', commit: 'a1b2c3d' },
  })
  source!: DeploymentSource;
  @ApiPropertyOptional({ description: 'Why the deployment failed, in one line.' }) error?: string;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional() finishedAt?: Date;
}

/** One deployment with its build log. */
export class DeploymentDetailView extends DeploymentView {
  @ApiProperty({ description: 'What the build did, line by line (clone, install, bundle, subscriptions, registration).' })
  buildLog!: string;
}

export type FlowStatus = 'pending' | 'building' | 'unregistered' | 'running' | 'paused' | 'error' | 'undeployed';

/** An HTTP endpoint of a flow (`http.endpoint(name)`). */
export class EndpointView {
  @ApiProperty({ example: 'podcasts' }) name!: string;
  @ApiProperty({
    example: 'https://flows.example.com/f/3q2-Xr7Yb0c1d2e3f4g5h6i7j8k9l0mN',
    description: 'Served for every method and sub-path; the key is kept across redeploys until rotated.',
  })
  url!: string;
}

/** A schedule of a flow (`schedule.cron` or `schedule.every`). */
export class ScheduleView {
  @ApiProperty({ example: '0 9 * * 1-5', description: 'The cron expression, or `every <ms> ms`.' }) expression!: string;
  @ApiProperty({ example: 'Europe/Paris', description: 'IANA time zone of a cron expression; UTC for `every`.' }) timezone!: string;
  @ApiPropertyOptional({ description: 'The next tick (ISO 8601); absent while the flow is paused.' }) nextRunAt?: string;
}

/** A flow as the API shows it. */
@ApiExtraModels(FlowVariableView)
export class FlowView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    enum: ['pending', 'building', 'unregistered', 'running', 'paused', 'error', 'undeployed'],
    description:
      'building: a deployment is being built; running; unregistered: live, but some subscription receives no events yet (see reason); ' +
      'paused: live but gets no events; error: the latest deployment failed and none is live (see reason); undeployed; pending: nothing deployed yet.',
  })
  status!: FlowStatus;
  @ApiPropertyOptional({ description: 'unregistered: the repositories and the install link; error: why the build failed.' })
  reason?: string;
  @ApiPropertyOptional({ description: 'Version of the live deployment.' }) version?: number;
  @ApiPropertyOptional() deployedAt?: Date;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Deploy-time variables of the live deployment (else of the latest one).',
  })
  env!: Record<string, string>;
  @ApiProperty({ type: [SubscriptionView] }) subscriptions!: SubscriptionView[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(FlowVariableView) },
    description: 'The variables the flow declares in its package.json `openflows.variables` (known once built from git or an upload).',
    example: { owner: { description: 'Repository owner', required: true } },
  })
  variables!: Record<string, FlowVariableView>;
  @ApiPropertyOptional({ type: DeploymentView, description: 'The newest deployment, live or not (building, failed…).' })
  latestDeployment?: DeploymentView;
  @ApiPropertyOptional({ type: [EndpointView], description: "The live deployment's HTTP endpoints (one flow's view, not listings)." })
  endpoints?: EndpointView[];
  @ApiPropertyOptional({ type: [ScheduleView], description: "The live deployment's schedules (one flow's view, not listings)." })
  schedules?: ScheduleView[];
}

/** Answer of `POST /api/flows/inspect-git`. */
@ApiExtraModels(FlowVariableView)
export class InspectGitView {
  @ApiPropertyOptional({ description: 'package.json name without its scope.' }) name?: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(FlowVariableView) },
    example: { owner: { description: 'Repository owner', required: true } },
  })
  variables!: Record<string, FlowVariableView>;
  @ApiProperty({
    type: () => [DeclaredSecretView],
    description: 'package.json `openflows.secrets`: secrets the owner must have before deploying.',
  })
  secrets!: DeclaredSecretView[];
}

/** A secret a flow declares it needs (`openflows.secrets`). */
export class DeclaredSecretView {
  @ApiProperty({ example: 'listen_notes' }) name!: string;
  @ApiPropertyOptional({ example: 'Your Listen Notes API key' }) description?: string;
  @ApiPropertyOptional({ example: 'podcast_key_name', description: 'The deploy-time variable that, when given, names the secret instead.' })
  variable?: string;
}
