import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { FlowsRepository, type FlowDetail } from '@openflows/db';
import { SubscriptionRegistrationService } from '@openflows/github';
import { FlowDeployError, discoverSubscriptions } from '@openflows/runtime';
import type { DeployFlowDto, FlowView } from './flows.dto';

/** Deploying, listing and undeploying flows, each call on behalf of one owner (another owner's flow is not found). */
@Injectable()
export class FlowsService {
  constructor(
    private readonly flows: FlowsRepository,
    private readonly registration: SubscriptionRegistrationService,
  ) {}

  /**
   * Learns the bundle's subscriptions by calling its `run()`, then makes it the flow's live deployment.
   * A GitHub repository no active App installation of the owner covers leaves the flow deployed but `unregistered`,
   * with the install link as its `reason`, until an installation covers it.
   * @throws BadRequestException with the flow's own error when it does not load or declares nothing.
   */
  async deploy(ownerId: string, dto: DeployFlowDto): Promise<FlowView> {
    const env = dto.env ?? {};
    const badVariable = Object.entries(env).find(([, value]) => typeof value !== 'string');
    if (badVariable) throw new BadRequestException(`env.${badVariable[0]} must be a string`);
    try {
      const subscriptions = await this.registration.check(ownerId, await discoverSubscriptions(dto.code, env, dto.name));
      const deployed = await this.flows.deploy({ ownerId, name: dto.name, bundle: dto.code, env, subscriptions });
      // Creates, updates or removes the owner's repository webhooks (token connections) to match.
      await this.registration.sync(ownerId);
      return this.view((await this.flows.findByName(ownerId, dto.name)) ?? deployed);
    } catch (error) {
      if (error instanceof FlowDeployError) throw new BadRequestException({ statusCode: 400, code: error.code, message: error.message });
      throw error;
    }
  }

  async list(ownerId: string): Promise<FlowView[]> {
    return (await this.flows.list(ownerId)).map((detail) => this.view(detail));
  }

  /** @throws NotFoundException */
  async get(ownerId: string, name: string): Promise<FlowView> {
    return this.view(await this.detail(ownerId, name));
  }

  /** @throws NotFoundException */
  async undeploy(ownerId: string, name: string): Promise<void> {
    if (!(await this.flows.undeploy(ownerId, name))) throw new NotFoundException(`no flow named ${name}`);
    await this.registration.sync(ownerId);
  }

  /** @throws NotFoundException */
  async detail(ownerId: string, name: string): Promise<FlowDetail> {
    const detail = await this.flows.findByName(ownerId, name);
    if (!detail) throw new NotFoundException(`no flow named ${name}`);
    return detail;
  }

  private view(detail: FlowDetail): FlowView {
    const reason = this.registration.reason(detail.subscriptions);
    return {
      id: detail.flow.id,
      name: detail.flow.name,
      status: !detail.deployment ? 'undeployed' : reason ? 'unregistered' : 'running',
      reason,
      version: detail.deployment?.version,
      deployedAt: detail.deployment?.createdAt,
      env: detail.deployment?.env ?? {},
      subscriptions: detail.subscriptions,
    };
  }
}
