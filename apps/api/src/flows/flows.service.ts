import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { FlowsRepository, type FlowDetail } from '@openflows/db';
import { FlowDeployError, discoverSubscriptions } from '@openflows/runtime';
import type { DeployFlowDto, FlowView } from './flows.dto';

function view(detail: FlowDetail): FlowView {
  return {
    id: detail.flow.id,
    name: detail.flow.name,
    status: detail.deployment ? 'running' : 'undeployed',
    version: detail.deployment?.version,
    deployedAt: detail.deployment?.createdAt,
    env: detail.deployment?.env ?? {},
    subscriptions: detail.subscriptions,
  };
}

/** Deploying, listing and undeploying flows. */
@Injectable()
export class FlowsService {
  constructor(private readonly flows: FlowsRepository) {}

  /**
   * Learns the bundle's subscriptions by calling its `run()`, then makes it the flow's live deployment.
   * @throws BadRequestException with the flow's own error when it does not load or declares nothing.
   */
  async deploy(dto: DeployFlowDto): Promise<FlowView> {
    const env = dto.env ?? {};
    const badVariable = Object.entries(env).find(([, value]) => typeof value !== 'string');
    if (badVariable) throw new BadRequestException(`env.${badVariable[0]} must be a string`);
    try {
      const subscriptions = await discoverSubscriptions(dto.code, env, dto.name);
      return view(await this.flows.deploy({ name: dto.name, bundle: dto.code, env, subscriptions }));
    } catch (error) {
      if (error instanceof FlowDeployError) throw new BadRequestException({ statusCode: 400, code: error.code, message: error.message });
      throw error;
    }
  }

  async list(): Promise<FlowView[]> {
    return (await this.flows.list()).map(view);
  }

  /** @throws NotFoundException */
  async get(name: string): Promise<FlowView> {
    return view(await this.detail(name));
  }

  /** @throws NotFoundException */
  async undeploy(name: string): Promise<void> {
    if (!(await this.flows.undeploy(name))) throw new NotFoundException(`no flow named ${name}`);
  }

  /** @throws NotFoundException */
  async detail(name: string): Promise<FlowDetail> {
    const detail = await this.flows.findByName(name);
    if (!detail) throw new NotFoundException(`no flow named ${name}`);
    return detail;
  }
}
