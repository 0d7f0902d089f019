import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Query, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { FilesInterceptor } from '@nestjs/platform-express';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import {
  DeployFlowDto,
  DeployGitDto,
  DeploymentDetailView,
  DeploymentView,
  EndpointView,
  FlowView,
  GitSourceDto,
  InspectGitView,
  MAX_FLOW_SOURCE_BYTES,
  RedeployFlowDto,
  UploadFlowDto,
} from './flows.dto';
import { FlowsService, type UploadedFlowFile } from './flows.service';
import { UploadSizeInterceptor } from './upload-size.interceptor';

/** Most files one folder upload may hold. */
const MAX_UPLOAD_FILES = 500;

/**
 * `/api/flows`: deploy (a CLI bundle, a git repository, an uploaded folder), redeploy, pause, resume,
 * list, show, deployment history, endpoint key rotation, undeploy and purge — the signed-in user's flows only.
 */
@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/flows')
export class FlowsController {
  constructor(private readonly flows: FlowsService) {}

  @Post()
  @ApiCreatedResponse({ type: FlowView, description: 'Deployed; the previous deployment of the flow is replaced atomically.' })
  deploy(@CurrentUser() user: User, @Body() dto: DeployFlowDto): Promise<FlowView> {
    return this.flows.deploy(user.id, dto);
  }

  @Post('inspect-git')
  @HttpCode(200)
  @ApiOkResponse({ type: InspectGitView, description: "The flow's package.json name and declared variables, for the deploy form." })
  inspectGit(@Body() dto: GitSourceDto): Promise<InspectGitView> {
    return this.flows.inspectGit(dto);
  }

  @Post('git')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: FlowView,
    description: 'Building in the background: status `building`, then `running`/`unregistered` or `error`.',
  })
  deployGit(@CurrentUser() user: User, @Body() dto: DeployGitDto): Promise<FlowView> {
    return this.flows.deployGit(user.id, dto);
  }

  @Post('upload')
  @HttpCode(202)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'files'],
      properties: {
        name: { type: 'string' },
        env: { type: 'string', description: 'JSON object of deploy-time variables' },
        files: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'filename = path inside the folder' },
      },
    },
  })
  @ApiAcceptedResponse({ type: FlowView, description: 'Building in the background. 413 over 5 MB in all.' })
  @UseInterceptors(
    UploadSizeInterceptor,
    FilesInterceptor('files', MAX_UPLOAD_FILES, {
      preservePath: true,
      limits: { fileSize: MAX_FLOW_SOURCE_BYTES, files: MAX_UPLOAD_FILES, fields: 10, fieldSize: 64 * 1024 },
    }),
  )
  deployUpload(
    @CurrentUser() user: User,
    @Body() dto: UploadFlowDto,
    @UploadedFiles() files: UploadedFlowFile[] | undefined,
  ): Promise<FlowView> {
    return this.flows.deployUpload(user.id, dto.name, files ?? [], dto.env);
  }

  @Get()
  @ApiOkResponse({ type: [FlowView] })
  list(@CurrentUser() user: User): Promise<FlowView[]> {
    return this.flows.list(user.id);
  }

  @Get(':name')
  @ApiOkResponse({ type: FlowView })
  get(@CurrentUser() user: User, @Param('name') name: string): Promise<FlowView> {
    return this.flows.get(user.id, name);
  }

  @Post(':name/redeploy')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: FlowView,
    description: 'Building again: a git source is cloned again, otherwise the latest bundle is reused.',
  })
  redeploy(@CurrentUser() user: User, @Param('name') name: string, @Body() dto: RedeployFlowDto): Promise<FlowView> {
    return this.flows.redeploy(user.id, name, dto.env);
  }

  @Post(':name/pause')
  @HttpCode(200)
  @ApiOkResponse({ type: FlowView, description: 'Paused: events no longer reach the flow; runs already queued still run.' })
  pause(@CurrentUser() user: User, @Param('name') name: string): Promise<FlowView> {
    return this.flows.setPaused(user.id, name, true);
  }

  @Post(':name/resume')
  @HttpCode(200)
  @ApiOkResponse({ type: FlowView })
  resume(@CurrentUser() user: User, @Param('name') name: string): Promise<FlowView> {
    return this.flows.setPaused(user.id, name, false);
  }

  @Post(':name/endpoints/:endpoint/rotate')
  @HttpCode(200)
  @ApiOkResponse({ type: EndpointView, description: "The endpoint's new URL; the old one answers 404 from now on." })
  rotateEndpoint(@CurrentUser() user: User, @Param('name') name: string, @Param('endpoint') endpoint: string): Promise<EndpointView> {
    return this.flows.rotateEndpoint(user.id, name, endpoint);
  }

  @Get(':name/deployments')
  @ApiOkResponse({ type: [DeploymentView], description: 'Newest first; `live` marks the one receiving events.' })
  deployments(@CurrentUser() user: User, @Param('name') name: string): Promise<DeploymentView[]> {
    return this.flows.deployments(user.id, name);
  }

  @Get(':name/deployments/:version')
  @ApiOkResponse({ type: DeploymentDetailView })
  deployment(
    @CurrentUser() user: User,
    @Param('name') name: string,
    @Param('version', ParseIntPipe) version: number,
  ): Promise<DeploymentDetailView> {
    return this.flows.deployment(user.id, name, version);
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiQuery({ name: 'purge', required: false, type: Boolean })
  @ApiNoContentResponse({
    description:
      'Undeployed: the flow stops receiving events; its runs stay. With purge=true: the flow, its deployments and runs are deleted.',
  })
  undeploy(@CurrentUser() user: User, @Param('name') name: string, @Query('purge') purge?: string): Promise<void> {
    return this.flows.undeploy(user.id, name, { purge: purge === 'true' });
  }
}
