import { Controller, DefaultValuePipe, Get, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RunDetailView, RunView } from './runs.dto';
import { RunsService } from './runs.service';

/** Run history: `/api/flows/:name/runs` and `/api/runs/:id`. */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('api')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Get('flows/:name/runs')
  @ApiQuery({ name: 'limit', required: false, description: '1 to 200, default 50' })
  @ApiOkResponse({ type: [RunView] })
  list(@Param('name') name: string, @Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number): Promise<RunView[]> {
    return this.runs.listForFlow(name, Math.min(Math.max(limit, 1), 200));
  }

  @Get('runs/:id')
  @ApiOkResponse({ type: RunDetailView })
  get(@Param('id') id: string): Promise<RunDetailView> {
    return this.runs.get(id);
  }
}
