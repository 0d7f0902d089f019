import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';

/** Body of `PUT /api/flows/:name/llm-budget`. */
export class PutLlmBudgetDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'LLM tokens (prompt and completion) the flow may use per calendar month (UTC); `null` removes the budget.',
    example: 1_000_000,
  })
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  monthlyTokens!: number | null;
}

/** Query of `GET /api/flows/:name/llm-usage`. */
export class LlmUsageQueryDto {
  @ApiPropertyOptional({ description: 'Days up to today (UTC), 1 to 400; default 30.', example: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(400)
  days?: number;
}

/** One day of a flow's LLM use. */
export class DailyLlmUsageView {
  @ApiProperty({ example: '2026-12-01' }) date!: string;
  @ApiProperty() calls!: number;
  @ApiProperty() promptTokens!: number;
  @ApiProperty() completionTokens!: number;
  @ApiProperty({ description: 'Estimated USD.' }) costUsd!: number;
}

/** A flow's LLM use: per day, this month's tokens and the budget. */
export class LlmUsageView {
  @ApiProperty({ type: [DailyLlmUsageView], description: 'Oldest first; days without calls are zeros.' })
  days!: DailyLlmUsageView[];
  @ApiProperty({ description: 'Tokens used in the current calendar month (UTC).' }) monthTokens!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'The monthly token budget; `null`: none.' })
  monthlyTokens!: number | null;
}
