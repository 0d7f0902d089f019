import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@openflows/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { DeployFlowDto, FlowView } from './flows.dto';
import { FlowsService } from './flows.service';

/** `/api/flows`: deploy (create or replace), list, show, undeploy — the signed-in user's flows only. */
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

  @Delete(':name')
  @HttpCode(204)
  @ApiOkResponse({ description: 'Undeployed: the flow stops receiving events; its runs stay.' })
  undeploy(@CurrentUser() user: User, @Param('name') name: string): Promise<void> {
    return this.flows.undeploy(user.id, name);
  }
}
