import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

/** Body of `POST /auth/setup` and `POST /auth/login`. */
export class CredentialsDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/, { message: 'login: letters, digits, _ . - (up to 39), starting with a letter or digit' })
  login!: string;

  @ApiProperty({ description: 'At least 12 characters.' })
  @IsString()
  @Length(12, 256, { message: 'password: 12 to 256 characters' })
  password!: string;
}

export class SessionUserView {
  @ApiProperty() id!: string;
  @ApiProperty() login!: string;
  @ApiProperty({ enum: ['github', 'local'] }) provider!: 'github' | 'local';
  @ApiProperty({ description: 'May open /admin/queues.' }) admin!: boolean;
}

/** The signed-in user and the CSRF token to send as `X-CSRF-Token` on every state-changing request. */
export class SessionView {
  @ApiProperty({ type: SessionUserView }) user!: SessionUserView;
  @ApiProperty() csrfToken!: string;
}

/** Body of `POST /auth/setup`: the account, and `API_TOKEN` when the platform has one. */
export class SetupDto extends CredentialsDto {
  @ApiPropertyOptional({
    description: "The platform's API_TOKEN: required when it is set, so that only its operator can claim a fresh install.",
  })
  @IsOptional()
  @IsString()
  setupToken?: string;
}

/** How one can sign in to this install. */
export class AuthOptionsView {
  @ApiProperty({ description: 'GitHub sign-in is configured.' }) github!: boolean;
  @ApiProperty({ description: 'No account exists yet: the first-run page creates the admin account.' }) setupRequired!: boolean;
  @ApiProperty({ description: "The first-run page asks for the platform's API_TOKEN (it is set)." }) setupTokenRequired!: boolean;
}
