import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ProviderView } from './connections.dto';
import { ConnectionsService } from './connections.service';

/** `GET /api/providers`: what the dashboard's connection cards and the deploy form render, one per provider. */
@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/providers')
export class ProvidersController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @ApiOkResponse({ type: [ProviderView] })
  list(): ProviderView[] {
    return this.connections.providers();
  }
}
