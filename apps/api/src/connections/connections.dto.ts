import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** A connected account as the API shows it; credentials are never part of it. */
export class ConnectionView {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The provider id, as in GET /api/providers: github, slack, telegram, …' }) provider!: string;
  @ApiProperty({
    description:
      "The provider's kind of account: installation (a GitHub App installation), token (a GitHub account connected with a token), workspace (a Slack workspace), bot, app…",
  })
  kind!: string;
  @ApiProperty({ description: "The vendor's id of the account: installation id, GitHub user id, Slack team id, bot id, app id…" })
  externalId!: string;
  @ApiProperty({ description: 'Account login (GitHub), workspace name (Slack), bot username (Telegram)…' }) account!: string;
  @ApiProperty({
    enum: ['active', 'revoked', 'error'],
    description: 'revoked: the app was uninstalled or its tokens revoked; error: there but unusable (a suspended installation).',
  })
  status!: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Why the status is not active: app_uninstalled, tokens_revoked, installation_deleted, suspended.',
  })
  reason?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: "Slack: the bot's user id." }) botUserId?: string | null;
  @ApiProperty({ description: 'GitHub: repositories (owner/repo) of a selected installation.' }) repositories!: string[];
  @ApiProperty({ description: 'Lines the dashboard shows under the connection (its repositories, bot user, the webhook URL to paste).' })
  details!: string[];
  @ApiPropertyOptional({ description: "Answered on connect where the vendor's console needs it: the URL to paste there." })
  webhookUrl?: string;
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

/** A field of a provider's connect form (see ProviderCard in libs/common). */
export class ConnectFieldView {
  @ApiProperty() name!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional() secret?: boolean;
  @ApiPropertyOptional() optional?: boolean;
  @ApiPropertyOptional() hint?: string;
  @ApiPropertyOptional({ type: [String] }) choices?: string[];
}

/** What the dashboard's connection card renders for a provider (`GET /api/providers`). */
export class ProviderView {
  @ApiProperty({ description: 'The provider id: github, slack, telegram, …' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() icon!: string;
  @ApiProperty() connectedText!: string;
  @ApiProperty() empty!: string;
  @ApiPropertyOptional({
    type: 'object',
    properties: { label: { type: 'string' }, url: { type: 'string' } },
    required: ['label', 'url'],
    description: 'A browser round trip: the button label and its URL (/connect/<id>).',
  })
  authorize?: { label: string; url: string };
  @ApiPropertyOptional({ type: [ConnectFieldView], description: 'Token setup: the JSON fields of POST /api/connections/<id>.' })
  fields?: ConnectFieldView[];
  @ApiPropertyOptional() fieldsLabel?: string;
  @ApiProperty({ description: 'How a flow names a source: telegram.chat(account, chatId).' }) source!: string;
  @ApiProperty({ description: "Anchor of the README's section on the provider." }) docs!: string;
}
