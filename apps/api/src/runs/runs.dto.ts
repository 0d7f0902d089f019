import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { RunEventSummary, RunStatus } from '@openflows/db';
import type { RunLogView as RunLogViewShape, RunView as RunViewShape } from '@openflows/runs';

const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'retrying', 'succeeded', 'failed'];

/** Query of `GET /api/flows/:name/runs`. */
export class ListFlowRunsQuery {
  @ApiPropertyOptional({ enum: RUN_STATUSES })
  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: RunStatus;

  @ApiPropertyOptional({ description: 'Runs at most, 1 to 200 (values outside are clamped); default 50.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({ description: 'Only runs created before this ISO 8601 date (the `createdAt` of the last one seen: paging).' })
  @IsOptional()
  @IsISO8601()
  before?: string;
}

/** Query of `GET /api/runs`. */
export class ListRunsQuery extends ListFlowRunsQuery {
  @ApiPropertyOptional({ description: "One flow's runs, by name." })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  flow?: string;
}

/** Query of `GET /api/runs/stream`. */
export class RunStreamQuery {
  @ApiPropertyOptional({ description: "Only this flow's runs, by name." })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  flow?: string;
}

/** Body of `POST /api/runs/replay`. */
export class ReplayRunsDto {
  @ApiProperty({ type: [String], description: 'Run ids, 1 to 100.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  ids!: string[];
}

/** One log line of a run (libs/runs' RunLogView, which the live updates send too). */
export class RunLogView implements RunLogViewShape {
  @ApiProperty({ description: 'The attempt (1-based) that wrote it.' }) attempt!: number;
  @ApiProperty({ enum: ['debug', 'info', 'warn', 'error'] }) level!: RunLogViewShape['level'];
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) fields?: Record<string, unknown> | null;
  @ApiProperty() at!: Date;
}

/** The triggering event of a run, without its payload. */
export class EventSummaryView implements RunEventSummary {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'github' }) provider!: string;
  @ApiProperty({ example: 'issue_comment' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'created' }) action!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'octo-org/hello' }) target!: string | null;
  @ApiProperty({ description: 'The delivery id (`X-GitHub-Delivery`, Slack `event_id`); a replay: `<original>:replay:<12 hex>`.' })
  deliveryId!: string;
  @ApiProperty() receivedAt!: Date;
  @ApiProperty({ type: String, nullable: true, description: "A replay's original event id." }) replayOf!: string | null;
}

/** The triggering event with its payload as the provider sent it. */
export class EventDetailView extends EventSummaryView {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The payload as received (GitHub: the webhook body; Slack: the event_callback).',
  })
  payload!: unknown;
}

/** A run as the API shows it (the contract's RunView; `implements` keeps it libs/runs' RunView, which the live updates send). */
export class RunView implements RunViewShape {
  @ApiProperty() id!: string;
  @ApiProperty() flowId!: string;
  @ApiProperty() flowName!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ description: 'LLM tokens over all attempts.' }) promptTokens!: number;
  @ApiProperty() completionTokens!: number;
  @ApiProperty({ description: "Estimated USD of the LLM calls over all attempts (the platform's price table or the key's prices)." })
  costUsd!: number;
  @ApiProperty({ type: Date, nullable: true }) startedAt!: Date | null;
  @ApiProperty({ type: Date, nullable: true }) finishedAt!: Date | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Milliseconds of the last attempt.' }) durationMs!: number | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ type: EventSummaryView }) event!: EventSummaryView;
}

/** A run with its triggering event (payload included) and log lines. */
export class RunDetailView extends RunView {
  @ApiProperty({ type: EventDetailView }) declare event: EventDetailView;
  @ApiProperty({ type: [RunLogView] }) logs!: RunLogView[];
}

/** Answer of the replay routes: the new runs (a replay's event has `replayOf`). */
export class ReplayView {
  @ApiProperty({ type: [RunView] }) runs!: RunView[];
}
