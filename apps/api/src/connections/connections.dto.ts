import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A connected account as the API shows it; credentials are never part of it. */
export class ConnectionView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['github', 'slack'] }) provider!: string;
  @ApiProperty({ description: 'Installation id (GitHub) or team id (Slack).' }) externalId!: string;
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
