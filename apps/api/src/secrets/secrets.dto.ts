import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Max, MaxLength, Min, MinLength } from 'class-validator';
import type { SecretKind } from '@openflows/secrets';

/** Body of `PUT /api/secrets/:name`. The value is write-only: no API returns it. */
export class PutSecretDto {
  @ApiProperty({ description: 'The secret, e.g. an API key.', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(16_384)
  value!: string;

  @ApiPropertyOptional({
    enum: ['llm', 'generic'],
    description:
      '`llm`: a key for chatCompletion; `generic`: any other secret. Default: `llm` when baseURL, model, contextWindow or a price is given, else `generic`.',
  })
  @IsOptional()
  @IsIn(['llm', 'generic'])
  kind?: SecretKind;

  @ApiPropertyOptional({ description: 'LLM keys: base URL of an OpenAI-compatible server.', example: 'http://localhost:11434/v1' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  baseURL?: string;

  @ApiPropertyOptional({ description: 'LLM keys: model used when a flow names none.', example: 'gpt-4o-mini' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({
    description: "LLM keys: the model's context window in tokens, for models the platform does not know (unknown models get 8192).",
    example: 32768,
  })
  @IsOptional()
  @IsInt()
  @Min(256)
  @Max(100_000_000)
  contextWindow?: number;

  @ApiPropertyOptional({ description: "LLM keys: USD per million prompt tokens, instead of the platform's price table.", example: 0.15 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  promptPrice?: number;

  @ApiPropertyOptional({ description: "LLM keys: USD per million completion tokens, instead of the platform's price table.", example: 0.6 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  completionPrice?: number;
}

/**
 * Body of `PATCH /api/secrets/:name`: an LLM key's settings beside its value; `null` removes one.
 * The fields and their checks are PutSecretDto's.
 */
export class PatchSecretDto extends PickType(PartialType(PutSecretDto), [
  'baseURL',
  'model',
  'contextWindow',
  'promptPrice',
  'completionPrice',
]) {}

/** The last check of an LLM key with its provider. */
export class LlmKeyCheckView {
  @ApiProperty({ enum: ['ok', 'failed'], description: '`ok`: the provider accepted the key (GET /models, or a one-token completion).' })
  status!: 'ok' | 'failed';
  @ApiProperty({ description: 'ISO 8601.' }) checkedAt!: string;
  @ApiPropertyOptional({ description: "The provider's error, or why it could not be reached." }) error?: string;
}

/** A secret as listings show it. */
export class SecretView {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['llm', 'generic'] }) kind!: SecretKind;
  @ApiProperty({ description: 'Last 4 characters of values of 12 or more characters; empty otherwise.' }) last4!: string;
  @ApiPropertyOptional() baseURL?: string;
  @ApiPropertyOptional() model?: string;
  @ApiPropertyOptional({ description: 'Context window in tokens.' }) contextWindow?: number;
  @ApiPropertyOptional({ description: 'USD per million prompt tokens.' }) promptPrice?: number;
  @ApiPropertyOptional({ description: 'USD per million completion tokens.' }) completionPrice?: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional({ description: 'When a run last used it (ISO 8601); absent while none has.' }) lastUsedAt?: string;
  @ApiPropertyOptional({ description: 'The flow whose run last used it.' }) lastUsedBy?: string;
  @ApiPropertyOptional({ type: LlmKeyCheckView, description: 'LLM keys: the last check with the provider, made when stored.' })
  check?: LlmKeyCheckView;
}

/** A model an LLM key's server offers. */
export class ModelView {
  @ApiProperty({ example: 'gpt-4o-mini' }) id!: string;
  @ApiProperty({ example: 'openai' }) ownedBy!: string;
}

/** Answer of `GET /api/secrets/:name/models`. */
export class ModelsView {
  @ApiProperty({ type: [ModelView] }) models!: ModelView[];
}
