import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { ConnectionView } from './connections.dto';
import { ConnectionsService } from './connections.service';

/** The signed-in user's connected accounts: `GET /api/connections`, `DELETE /api/connections/:id`. */
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

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Disconnected: the connection and its credentials are gone.' })
  @ApiNotFoundResponse()
  remove(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.connections.remove(user.id, id);
  }
}
