import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** A connected account as the API shows it; credentials are never part of it. */
export class ConnectionView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['github', 'slack'] }) provider!: string;
  @ApiProperty({
    enum: ['installation', 'token', 'workspace'],
    description: 'installation: a GitHub App installation; token: a GitHub account connected with a token; workspace: a Slack workspace.',
  })
  kind!: string;
  @ApiProperty({ description: 'Installation id or GitHub user id (token) for GitHub; team id for Slack.' }) externalId!: string;
  @ApiProperty({ description: 'Account login (GitHub) or workspace name (Slack).' }) account!: string;
  @ApiProperty({
    enum: ['active', 'revoked', 'error'],
    description: 'revoked: the app was uninstalled or its tokens revoked; error: there but unusable (a suspended installation).',
  })
  status!: string;
  @ApiPropertyOptional({ description: 'Why the status is not active: app_uninstalled, tokens_revoked, installation_deleted, suspended.' })
  reason?: string | null;
  @ApiPropertyOptional({ description: "Slack: the bot's user id." }) botUserId?: string | null;
  @ApiProperty({ description: 'GitHub: repositories (owner/repo) of a selected installation.' }) repositories!: string[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

/** `POST /api/connections/github-token`: a classic personal access token with the `admin:repo_hook` scope. */
export class ConnectGithubTokenDto {
  @ApiProperty({ description: 'A classic GitHub personal access token with admin:repo_hook (or repo).', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  token!: string;
}
