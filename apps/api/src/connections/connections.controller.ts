import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { ConnectGithubTokenDto, ConnectionView } from './connections.dto';
import { ConnectionsService } from './connections.service';

/**
 * The signed-in user's connected accounts: `GET /api/connections`, `POST /api/connections/:provider`
 * (credentials as the provider's card lists them; `github-token` is kept for GitHub tokens),
 * `DELETE /api/connections/:id`.
 */
@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @ApiOkResponse({ type: [ConnectionView] })
  list(@CurrentUser() user: User): Promise<ConnectionView[]> {
    return this.connections.list(user.id);
  }

  @Post('github-token')
  @ApiCreatedResponse({ type: ConnectionView, description: 'The GitHub account connected with the token (kind token).' })
  @ApiBadRequestResponse({ description: 'TOKEN_MISSING, TOKEN_INVALID or TOKEN_SCOPE (admin:repo_hook missing), with the reason.' })
  @ApiConflictResponse({ description: 'TOKEN_TAKEN: another user connected that GitHub account.' })
  connectGithubToken(@CurrentUser() user: User, @Body() body: ConnectGithubTokenDto): Promise<ConnectionView> {
    return this.connections.connect(user.id, 'github', { token: body?.token });
  }

  @Post(':provider')
  @ApiCreatedResponse({
    type: ConnectionView,
    description: 'The account connected, with its status and, where the vendor needs one, the webhookUrl to paste.',
  })
  @ApiBadRequestResponse({
    description: 'CONNECT_INVALID (a field missing or wrong), CREDENTIALS_INVALID (the vendor refused them), TOKEN_* for GitHub.',
  })
  @ApiNotFoundResponse({ description: 'PROVIDER_UNKNOWN' })
  @ApiConflictResponse({ description: "CONNECTION_TAKEN: another user's account." })
  @ApiBody({
    schema: { type: 'object', additionalProperties: true },
    description: "The provider's fields (GET /api/providers), e.g. { botToken } for Telegram.",
  })
  connect(@CurrentUser() user: User, @Param('provider') provider: string, @Body() body: unknown): Promise<ConnectionView> {
    return this.connections.connect(user.id, provider, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Disconnected: the connection and its credentials are gone.' })
  @ApiNotFoundResponse()
  remove(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.connections.remove(user.id, id);
  }
}
