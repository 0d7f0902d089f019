import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, MaxLength, MinLength } from 'class-validator';

/** Body of `PUT /api/secrets/:name`. The value is write-only: no API returns it. */
export class PutSecretDto {
  @ApiProperty({ description: 'The secret, e.g. an API key.', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(16_384)
  value!: string;

  @ApiPropertyOptional({ description: 'LLM keys: base URL of an OpenAI-compatible server.', example: 'http://localhost:11434/v1' })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  baseURL?: string;

  @ApiPropertyOptional({ description: 'LLM keys: model used when a flow names none.', example: 'gpt-4o-mini' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;
}

/** A secret as listings show it. */
export class SecretView {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Last 4 characters of values of 12 or more characters; empty otherwise.' }) last4!: string;
  @ApiPropertyOptional() baseURL?: string;
  @ApiPropertyOptional() model?: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
