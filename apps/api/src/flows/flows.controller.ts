import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DeployFlowDto, FlowView } from './flows.dto';
import { FlowsService } from './flows.service';

/** `/api/flows`: deploy (create or replace), list, show, undeploy. */
@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/flows')
export class FlowsController {
  constructor(private readonly flows: FlowsService) {}

  @Post()
  @ApiCreatedResponse({ type: FlowView, description: 'Deployed; the previous deployment of the flow is replaced atomically.' })
  deploy(@Body() dto: DeployFlowDto): Promise<FlowView> {
    return this.flows.deploy(dto);
  }

  @Get()
  @ApiOkResponse({ type: [FlowView] })
  list(): Promise<FlowView[]> {
    return this.flows.list();
  }

  @Get(':name')
  @ApiOkResponse({ type: FlowView })
  get(@Param('name') name: string): Promise<FlowView> {
    return this.flows.get(name);
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOkResponse({ description: 'Undeployed: the flow stops receiving events; its runs stay.' })
  undeploy(@Param('name') name: string): Promise<void> {
    return this.flows.undeploy(name);
  }
}
