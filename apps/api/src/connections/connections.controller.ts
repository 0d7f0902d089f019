import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
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
 * The signed-in user's connected accounts: `GET /api/connections`, `POST /api/connections/github-token`,
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
    return this.connections.connectGithubToken(user.id, body?.token);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Disconnected: the connection and its credentials are gone.' })
  @ApiNotFoundResponse()
  remove(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.connections.remove(user.id, id);
  }
}
