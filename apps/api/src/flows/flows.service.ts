import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, CodedError, type AppConfig } from '@openflows/common';
import { FlowsRepository, type DeploymentSummary, type FlowDetail } from '@openflows/db';
import { EndpointsService } from '@openflows/http';
import { RegistrationService } from '@openflows/providers';
import { discoverSubscriptions, type GitSourceSpec } from '@openflows/runtime';
import { WebChatKeysService } from '@openflows/webchat';
import { FlowBuildsService } from './flow-builds.service';
import {
  MAX_FLOW_SOURCE_BYTES,
  type DeployFlowDto,
  type DeployGitDto,
  type DeploymentDetailView,
  type DeploymentView,
  type EndpointView,
  type FlowStatus,
  type FlowView,
  type InspectGitView,
  type WebChatView,
} from './flows.dto';

/** A file of a folder upload as multer hands it over: `originalname` is its path inside the folder. */
export interface UploadedFlowFile {
  originalname: string;
  size: number;
  buffer: Buffer;
}

const notFound = (name: string) => new CodedError('FLOW_NOT_FOUND', `no flow named ${name}`);

/**
 * Deploying, building, pausing, listing and removing flows, each call on behalf of one owner (another
 * owner's flow is not found). Failures are CodedErrors (`FLOW_NOT_FOUND`…) or the flow's own
 * FlowDeployError, which the api answers 400 with its code.
 */
@Injectable()
export class FlowsService {
  constructor(
    private readonly flows: FlowsRepository,
    private readonly registration: RegistrationService,
    private readonly builds: FlowBuildsService,
    private readonly endpoints: EndpointsService,
    private readonly webChats: WebChatKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Learns the bundle's subscriptions by calling its `run()`, then makes it the flow's live deployment
   * (source `bundle`, a short build log). A GitHub repository no active App installation of the owner
   * covers leaves the flow deployed but `unregistered`, with the install link as its `reason`, until
   * an installation covers it.
   * @throws FlowDeployError when the flow does not load or declares nothing, FLOW_INVALID when one of
   *   the secrets it declares does not exist; CodedError `ENV_INVALID`.
   */
  async deploy(ownerId: string, dto: DeployFlowDto): Promise<FlowView> {
    const env = this.checkEnv(dto.env);
    await this.builds.assertSecrets(ownerId, dto.code, env);
    const declared = await discoverSubscriptions(dto.code, env, dto.name, this.config.flows.limits);
    const subscriptions = await this.registration.check(ownerId, declared);
    const reason = await this.registration.reason(ownerId, subscriptions);
    const buildLog = [
      `bundle received from the CLI (${dto.code.length} bytes)`,
      `run() declared: ${declared.map((s) => `${s.provider} ${s.target} ${s.event}`).join(', ')}`,
      reason ? `unregistered: ${reason}` : 'every subscription is registered',
      '',
    ].join('\n');
    const deployed = await this.flows.deploy({ ownerId, name: dto.name, bundle: dto.code, env, subscriptions, buildLog });
    // Providers create, update or remove what the vendor needs (GitHub's repository webhooks…) to match.
    await this.registration.sync(ownerId);
    return this.fullView((await this.flows.findByName(ownerId, dto.name)) ?? deployed);
  }

  /** Reads a git source's package.json (name, variables) for the deploy form. @throws FlowDeployError */
  async inspectGit(spec: GitSourceSpec): Promise<InspectGitView> {
    return this.builds.inspectGit(spec);
  }

  /**
   * Starts a build from git; the flow is `building` until it is live or failed.
   * @throws FlowDeployError for an unusable source; CodedError `ENV_INVALID`.
   */
  async deployGit(ownerId: string, dto: DeployGitDto): Promise<FlowView> {
    const env = this.checkEnv(dto.env);
    return this.view(await this.builds.startGit(ownerId, dto.name, dto, env));
  }

  /**
   * Starts a build from an uploaded folder.
   * @throws CodedError `UPLOAD_TOO_LARGE` over 5 MB in all, `ENV_INVALID` for a bad `env`;
   *   FlowDeployError for a bad file path.
   */
  async deployUpload(ownerId: string, name: string, files: UploadedFlowFile[], envJson?: string): Promise<FlowView> {
    const total = files.reduce((sum, file) => sum + file.size, 0);
    if (total > MAX_FLOW_SOURCE_BYTES) {
      throw new CodedError('UPLOAD_TOO_LARGE', `the files add up to more than 5 MB (${total} bytes)`);
    }
    const env = this.checkEnv(this.parseEnv(envJson));
    const uploaded = files.map((file) => ({ path: file.originalname, content: file.buffer }));
    return this.view(await this.builds.startUpload(ownerId, name, uploaded, env));
  }

  /**
   * Builds the flow again (git: cloned again; else the latest bundle) with `env` or its current variables.
   * @throws CodedError `FLOW_NOT_FOUND`, `ENV_INVALID`; FlowDeployError when there is nothing to build from.
   */
  async redeploy(ownerId: string, name: string, env?: Record<string, string>): Promise<FlowView> {
    const detail = await this.detail(ownerId, name);
    const checked = env === undefined ? undefined : this.checkEnv(env);
    return this.view(await this.builds.startRedeploy(ownerId, detail, checked));
  }

  /** Pauses or resumes a flow: paused, its live deployment gets no events (runs already queued still run). @throws CodedError `FLOW_NOT_FOUND` */
  async setPaused(ownerId: string, name: string, paused: boolean): Promise<FlowView> {
    const detail = await this.flows.setPaused(ownerId, name, paused);
    if (!detail) throw notFound(name);
    await this.registration.sync(ownerId);
    return this.fullView(detail);
  }

  async list(ownerId: string): Promise<FlowView[]> {
    return Promise.all((await this.flows.list(ownerId)).map((detail) => this.view(detail)));
  }

  /** @throws CodedError `FLOW_NOT_FOUND` */
  async get(ownerId: string, name: string): Promise<FlowView> {
    return this.fullView(await this.detail(ownerId, name));
  }

  /**
   * Removes a flow: undeploys it (no more events, builds under way cancelled, history kept) or, with
   * `purge`, deletes it with its deployments and runs. Every removal goes through here.
   * @throws CodedError `FLOW_NOT_FOUND`
   */
  async undeploy(ownerId: string, name: string, options: { purge?: boolean } = {}): Promise<void> {
    const done = options.purge ? await this.flows.purge(ownerId, name) : await this.flows.undeploy(ownerId, name);
    if (!done) throw notFound(name);
    await this.registration.sync(ownerId);
  }

  /** A flow's deployments, newest first. @throws CodedError `FLOW_NOT_FOUND` */
  async deployments(ownerId: string, name: string): Promise<DeploymentView[]> {
    const found = await this.flows.listDeployments(ownerId, name);
    if (!found) throw notFound(name);
    return found.deployments.map((d) => this.deploymentView(d, found.flow.activeDeploymentId));
  }

  /** One deployment with its build log. @throws CodedError `DEPLOYMENT_NOT_FOUND` for an unknown flow or version. */
  async deployment(ownerId: string, name: string, version: number): Promise<DeploymentDetailView> {
    const found = await this.flows.findDeploymentByVersion(ownerId, name, version);
    if (!found) throw new CodedError('DEPLOYMENT_NOT_FOUND', `no deployment v${version} of a flow named ${name}`);
    return { ...this.deploymentView(found.deployment, found.flow.activeDeploymentId), buildLog: found.deployment.buildLog };
  }

  /**
   * Gives the flow's HTTP endpoint `endpoint` a new URL key; the old URL answers 404 at once.
   * @throws CodedError `FLOW_NOT_FOUND`, `ENDPOINT_NOT_FOUND` (the endpoint never had a URL).
   */
  async rotateEndpoint(ownerId: string, name: string, endpoint: string): Promise<EndpointView> {
    const detail = await this.detail(ownerId, name);
    return this.endpoints.rotate(detail.flow.id, endpoint);
  }

  /**
   * Gives the flow's web chat `chat` a new URL key; the old URL answers 404 at once and its visitors'
   * sessions end. @throws CodedError `FLOW_NOT_FOUND`, `WEB_CHAT_NOT_FOUND` (the chat never had a URL).
   */
  async rotateWebChat(ownerId: string, name: string, chat: string): Promise<WebChatView> {
    const detail = await this.detail(ownerId, name);
    return this.webChats.rotate(detail.flow.id, chat);
  }

  /** @throws CodedError `FLOW_NOT_FOUND` */
  async detail(ownerId: string, name: string): Promise<FlowDetail> {
    const detail = await this.flows.findByName(ownerId, name);
    if (!detail) throw notFound(name);
    return detail;
  }

  /** @throws CodedError `ENV_INVALID` unless every variable is a string. */
  private checkEnv(env: Record<string, unknown> = {}): Record<string, string> {
    const badVariable = Object.entries(env).find(([, value]) => typeof value !== 'string');
    if (badVariable) throw new CodedError('ENV_INVALID', `env.${badVariable[0]} must be a string`);
    return env as Record<string, string>;
  }

  /** @throws CodedError `ENV_INVALID` unless `json` is a JSON object. */
  private parseEnv(json?: string): Record<string, unknown> {
    if (json === undefined || json.trim() === '') return {};
    let env: unknown;
    try {
      env = JSON.parse(json);
    } catch {
      throw new CodedError('ENV_INVALID', 'env must be a JSON object of strings');
    }
    if (typeof env !== 'object' || env === null || Array.isArray(env))
      throw new CodedError('ENV_INVALID', 'env must be a JSON object of strings');
    return env as Record<string, unknown>;
  }

  /**
   * The status flows.network shows: `building` while the newest deployment builds; with a live
   * deployment `paused`, `unregistered` or `running`; without one `error` when the newest failed,
   * `undeployed` after an undeploy, else `pending`.
   */
  private status(detail: FlowDetail, unregistered: boolean): FlowStatus {
    if (detail.latest?.status === 'building') return 'building';
    if (detail.deployment) return detail.flow.pausedAt ? 'paused' : unregistered ? 'unregistered' : 'running';
    if (detail.latest?.status === 'failed') return 'error';
    return detail.latest ? 'undeployed' : 'pending';
  }

  private async view(detail: FlowDetail): Promise<FlowView> {
    const unregistered = await this.registration.reason(detail.flow.ownerId, detail.subscriptions);
    const status = this.status(detail, unregistered !== undefined);
    const live = detail.deployment;
    const reason = status === 'error' ? (detail.latest?.error ?? undefined) : unregistered;
    return {
      id: detail.flow.id,
      name: detail.flow.name,
      status,
      reason,
      version: live?.version,
      deployedAt: live?.createdAt,
      env: live?.env ?? detail.latest?.env ?? {},
      subscriptions: detail.subscriptions,
      variables: detail.variables,
      latestDeployment: detail.latest ? this.deploymentView(detail.latest, detail.flow.activeDeploymentId) : undefined,
    };
  }

  /** {@link view} with what providers set up for the live subscriptions: `endpoints` and `webChats` (URLs), `schedules` (next ticks). */
  private async fullView(detail: FlowDetail): Promise<FlowView> {
    const { id, ownerId, name, pausedAt } = detail.flow;
    const flow = { id, ownerId, name, paused: pausedAt !== null };
    return { ...(await this.view(detail)), ...(await this.registration.describe(flow, detail.subscriptions)) };
  }

  private deploymentView(deployment: DeploymentSummary, liveId: string | null): DeploymentView {
    const { variables: _variables, ...source } = deployment.source;
    return {
      id: deployment.id,
      version: deployment.version,
      status: deployment.status,
      live: deployment.id === liveId,
      source,
      error: deployment.error ?? undefined,
      createdAt: deployment.createdAt,
      finishedAt: deployment.finishedAt ?? undefined,
    };
  }
}
