import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

/** Body of `POST /api/tokens`. */
export class CreateTokenDto {
  @ApiProperty({ example: 'laptop CLI', description: 'To tell tokens apart when revoking one.' })
  @IsString()
  @Length(1, 80)
  name!: string;
}

/** A personal API token as listings show it (never the token). */
export class TokenView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ type: Date, nullable: true }) lastUsedAt!: Date | null;
}

/** A token just created: the only time its value is shown. */
export class CreatedTokenView extends TokenView {
  @ApiProperty({ example: 'oft_…', description: 'Shown once; use as OPENFLOWS_TOKEN or Authorization: Bearer <token>.' }) token!: string;
}
