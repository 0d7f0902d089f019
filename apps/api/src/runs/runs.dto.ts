import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RunLogView {
  @ApiProperty() attempt!: number;
  @ApiProperty({ enum: ['debug', 'info', 'warn', 'error'] }) level!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional() fields?: Record<string, unknown> | null;
  @ApiProperty() at!: Date;
}

/** A run as the API shows it. */
export class RunView {
  @ApiProperty() id!: string;
  @ApiProperty() flowId!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty({ enum: ['queued', 'running', 'retrying', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiPropertyOptional() error?: string | null;
  @ApiProperty({ description: 'LLM tokens over all attempts.' }) promptTokens!: number;
  @ApiProperty() completionTokens!: number;
  @ApiPropertyOptional() startedAt?: Date | null;
  @ApiPropertyOptional() finishedAt?: Date | null;
  @ApiPropertyOptional({ description: 'Milliseconds of the last attempt.' }) durationMs?: number | null;
  @ApiProperty() createdAt!: Date;
}

export class EventSummaryView {
  @ApiProperty() id!: string;
  @ApiProperty() provider!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() action?: string | null;
  @ApiProperty() deliveryId!: string;
  @ApiPropertyOptional() target?: string | null;
  @ApiProperty() receivedAt!: Date;
}

/** A run with its triggering event and log lines. */
export class RunDetailView extends RunView {
  @ApiProperty({ type: EventSummaryView }) event!: EventSummaryView;
  @ApiProperty({ type: [RunLogView] }) logs!: RunLogView[];
}
