import { Controller, DefaultValuePipe, Get, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { RunDetailView, RunView } from './runs.dto';
import { RunsService } from './runs.service';

/** Run history of the signed-in user's flows: `/api/flows/:name/runs` and `/api/runs/:id`. */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('api')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Get('flows/:name/runs')
  @ApiQuery({ name: 'limit', required: false, description: '1 to 200, default 50' })
  @ApiOkResponse({ type: [RunView] })
  list(
    @CurrentUser() user: User,
    @Param('name') name: string,
    @Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number,
  ): Promise<RunView[]> {
    return this.runs.listForFlow(user.id, name, Math.min(Math.max(limit, 1), 200));
  }

  @Get('runs/:id')
  @ApiOkResponse({ type: RunDetailView })
  get(@CurrentUser() user: User, @Param('id') id: string): Promise<RunDetailView> {
    return this.runs.get(user.id, id);
  }
}
