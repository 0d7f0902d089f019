import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { FLOW_NAME } from '@openflows/runtime';

/** Body of `POST /api/flows`: a flow bundled by `openflows deploy` (esbuild, SDK external). */
export class DeployFlowDto {
  @ApiProperty({ example: 'github-chat', pattern: FLOW_NAME.source })
  @IsString()
  @Matches(FLOW_NAME)
  name!: string;

  @ApiProperty({ description: 'The flow bundle: one CommonJS file exporting run(); at most 5 MB.' })
  @IsString()
  @MaxLength(5 * 1024 * 1024)
  code!: string;

  @ApiPropertyOptional({ description: 'Deploy-time variables read with env(name).', example: { owner: 'octo', repo: 'hello' } })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;
}

export class SubscriptionView {
  @ApiProperty({ example: 'github' }) provider!: string;
  @ApiProperty({ example: 'octo/hello' }) target!: string;
  @ApiProperty({ example: 'issue_comment' }) event!: string;
  @ApiProperty({ description: 'False while no active GitHub App installation covers the repository.' }) registered!: boolean;
}

/** A flow as the API shows it. */
export class FlowView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    enum: ['running', 'unregistered', 'undeployed'],
    description: 'unregistered: deployed, but some subscription receives no events yet (see reason).',
  })
  status!: 'running' | 'unregistered' | 'undeployed';
  @ApiPropertyOptional({ description: 'What to do about an unregistered flow: the repositories and the install link.' }) reason?: string;
  @ApiPropertyOptional({ description: 'Version of the live deployment.' }) version?: number;
  @ApiPropertyOptional() deployedAt?: Date;
  @ApiProperty({ description: 'Deploy-time variables of the live deployment.' }) env!: Record<string, string>;
  @ApiProperty({ type: [SubscriptionView] }) subscriptions!: SubscriptionView[];
}
