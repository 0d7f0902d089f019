import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { ReplayService } from './replay.service';
import { RunStreamsService } from './run-streams.service';
import { ListFlowRunsQuery, ListRunsQuery, ReplayRunsDto, ReplayView, RunDetailView, RunStreamQuery, RunView } from './runs.dto';
import { RunsService } from './runs.service';
import { sendEventStream } from './sse';

/**
 * Runs of the signed-in user's flows: listings, one run, live updates as server-sent events, and
 * replays (`/api/runs…`, `/api/flows/:name/runs`, `/api/events/:id/replay`). Another owner's run,
 * flow or event is 404.
 */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('api')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly streams: RunStreamsService,
    private readonly replays: ReplayService,
  ) {}

  @Get('runs')
  @ApiOperation({ summary: 'Runs of all your flows, newest first' })
  @ApiOkResponse({ type: [RunView] })
  list(@CurrentUser() user: User, @Query() query: ListRunsQuery): Promise<RunView[]> {
    return this.runs.list(user.id, query);
  }

  @Get('flows/:name/runs')
  @ApiOperation({ summary: "One flow's runs, newest first" })
  @ApiOkResponse({ type: [RunView] })
  listForFlow(@CurrentUser() user: User, @Param('name') name: string, @Query() query: ListFlowRunsQuery): Promise<RunView[]> {
    return this.runs.list(user.id, { ...query, flow: name });
  }

  @Get('runs/stream')
  @ApiOperation({ summary: 'Server-sent events: `run` (a RunView) whenever one of your runs is created or changes status' })
  @ApiProduces('text/event-stream')
  async streamAll(@CurrentUser() user: User, @Query() query: RunStreamQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendEventStream(req, res, await this.streams.ownerStream(user.id, query.flow));
  }

  @Get('runs/:id')
  @ApiOkResponse({ type: RunDetailView })
  get(@CurrentUser() user: User, @Param('id') id: string): Promise<RunDetailView> {
    return this.runs.get(user.id, id);
  }

  @Get('runs/:id/stream')
  @ApiOperation({ summary: 'Server-sent events of one run: `run` (current state, then changes), `log` (each line), `end`' })
  @ApiProduces('text/event-stream')
  async streamOne(@CurrentUser() user: User, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendEventStream(req, res, await this.streams.runStream(user.id, id));
  }

  @Post('runs/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Replay many runs, each by its flow only' })
  @ApiAcceptedResponse({ type: ReplayView })
  async replayMany(@CurrentUser() user: User, @Body() body: ReplayRunsDto): Promise<ReplayView> {
    return { runs: await this.replays.replayRuns(user.id, body.ids) };
  }

  @Post('runs/:id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: "Replay a run: a copy of its event run by the run's flow only" })
  @ApiAcceptedResponse({ type: ReplayView })
  async replay(@CurrentUser() user: User, @Param('id') id: string): Promise<ReplayView> {
    return { runs: await this.replays.replayRuns(user.id, [id]) };
  }

  @Post('events/:id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Replay an event: a copy routed to every subscribed flow' })
  @ApiAcceptedResponse({ type: ReplayView })
  async replayEvent(@CurrentUser() user: User, @Param('id') id: string): Promise<ReplayView> {
    return { runs: await this.replays.replayEvent(user.id, id) };
  }
}
