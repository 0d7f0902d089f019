import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  APP_CONFIG,
  REDIS,
  errorMessage,
  errorStack,
  redisKey,
  type AppConfig,
  type ExecuteRunJob,
  type Provider,
  type ProviderAdapter,
  type ProviderRunBinding,
  type RunCompletion,
} from '@openflows/common';
import { EventsRepository, FlowsRepository, RunsRepository, type Flow, type Run, type StoredEvent } from '@openflows/db';
import { LlmGateway, describeCall, type LlmKey } from '@openflows/llm';
import { ProviderRegistry } from '@openflows/providers';
import { RunUpdatesPublisher } from '@openflows/runs';
import {
  EffectJournal,
  FlowDeployError,
  FlowLimitError,
  FlowRuntime,
  createFlowFetch,
  createFlowStore,
  type RunServices,
} from '@openflows/runtime';
import { SdkError, type FlowEvent, type SdkErrorCode } from '@openflows/sdk';
import { SecretsService, flowSecrets } from '@openflows/secrets';
import { OwnerSlots } from './owner-slots';
import { RunLog } from './run-log';

/** SDK errors that the same input will raise again: retrying cannot help. */
const PERMANENT: ReadonlySet<SdkErrorCode> = new Set([
  'MISSING_ENV',
  'SECRET_NOT_FOUND',
  'SECRET_REFUSED',
  'INVALID_ARGUMENT',
  'NOT_IN_HANDLER',
  'NOT_IN_RUNTIME',
  'GITHUB_NOT_CONNECTED',
  'SLACK_NOT_CONNECTED',
  'NOT_CONNECTED',
  'EGRESS_REFUSED',
  'LIMIT_FETCH',
  'BUDGET_EXCEEDED',
]);

/** How long a run waits when its owner's slots are all busy before it is tried again (ms). */
const OWNER_BUSY_DELAY_MS = 500;

function isPermanent(error: unknown): boolean {
  return (
    error instanceof FlowDeployError ||
    error instanceof UnrecoverableError ||
    error instanceof FlowLimitError ||
    (error instanceof SdkError && PERMANENT.has(error.code))
  );
}

interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Estimated USD of the attempt's LLM calls. */
  costUsd: number;
}

/**
 * Executes one run attempt: runs the deployed bundle in its deployment's isolate (FlowRuntime) with this
 * run's services behind the bridge, and records status, attempts, duration, token usage, error and log
 * lines. A flow's failure fails its run only; the error goes back to BullMQ, which retries with backoff
 * unless it is permanent (a limit, a missing secret…). An owner whose slots are all busy has the run put
 * back for a moment, freeing the lane for others.
 */
@Injectable()
export class RunsService {
  private readonly logger = new Logger(RunsService.name);
  private readonly slots: OwnerSlots;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly runs: RunsRepository,
    private readonly flows: FlowsRepository,
    private readonly events: EventsRepository,
    private readonly providers: ProviderRegistry,
    private readonly secrets: SecretsService,
    private readonly llm: LlmGateway,
    private readonly updates: RunUpdatesPublisher,
    private readonly runtime: FlowRuntime,
  ) {
    this.slots = new OwnerSlots(config.flows.ownerConcurrency);
  }

  /**
   * Every status change (`running`, then `succeeded`, `retrying` or `failed`) and every log line is
   * published as a live update once the database has it (log lines: as written).
   * @param token the job's lock token, to put it back when the owner has no free slot.
   * @throws the flow's error (retried by BullMQ), UnrecoverableError for a permanent failure, or
   *   DelayedError when the run was put back to wait for its owner's slot.
   */
  async execute(job: Job<ExecuteRunJob>, token?: string): Promise<void> {
    const run = await this.runs.findById(job.data.runId);
    if (!run) throw new UnrecoverableError(`run ${job.data.runId} does not exist`);
    const owner = await this.flows.findById(run.flowId);
    if (owner && !this.slots.tryAcquire(owner.ownerId)) {
      await job.moveToDelayed(Date.now() + OWNER_BUSY_DELAY_MS, token);
      throw new DelayedError();
    }
    try {
      await this.executeAttempt(job, run, owner);
    } finally {
      if (owner) this.slots.release(owner.ownerId);
    }
  }

  private async executeAttempt(job: Job<ExecuteRunJob>, run: Run, owner: Flow | undefined): Promise<void> {
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const live = owner && { ownerId: owner.ownerId, runId: run.id, flowId: run.flowId };
    const log = new RunLog(live ? (line) => this.updates.publishLog(live, attempt, line) : undefined);
    const usage: Usage = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
    const startedAt = new Date();
    await this.runs.startAttempt(run.id, attempt, startedAt);
    await this.updates.publishRuns([run.id]);
    try {
      // A job taken over after its worker stalled keeps its attempt number: it may have acted all the same.
      const retry = attempt > 1 || run.attempts > 0 || (job.stalledCounter ?? 0) > 0;
      const { event, result } = await this.attempt(run, owner, { attempt, maxAttempts, retry }, log, usage);
      // Before the bookkeeping: a caller waiting for the result (an HTTP endpoint) gets it sooner.
      await this.complete(event, { runId: run.id, ok: true, result });
      await this.runs.finishAttempt(run.id, attempt, { status: 'succeeded', ...usage, startedAt, finishedAt: new Date() }, log.collected());
      await this.updates.publishRuns([run.id]);
    } catch (error) {
      const permanent = isPermanent(error);
      const message = errorMessage(error);
      const willRetry = !permanent && attempt < maxAttempts;
      // A caller that got the failure will not hear a later attempt: the run ends here.
      const answered = await this.complete(await this.events.findById(run.eventId).catch(() => undefined), {
        runId: run.id,
        ok: false,
        error: message,
        willRetry,
      });
      const final = !willRetry || answered;
      log.error(`run failed: ${message}`, { stack: errorStack(error) });
      if (!final) log.info(`will retry (attempt ${attempt + 1} of ${maxAttempts})`);
      const status = final ? 'failed' : 'retrying';
      await this.runs.finishAttempt(
        run.id,
        attempt,
        { status, error: message, ...usage, startedAt, finishedAt: new Date() },
        log.collected(),
      );
      await this.updates.publishRuns([run.id]);
      this.logger.warn(`run ${run.id} attempt ${attempt} ${status}: ${message}`);
      throw (permanent || answered) && !(error instanceof UnrecoverableError) ? new UnrecoverableError(message) : error;
    }
  }

  /** Hands an attempt's outcome to its event's provider (ProviderAdapter.completeRun); true when a waiting caller got it. */
  private async complete(event: StoredEvent | undefined, completion: RunCompletion): Promise<boolean> {
    const adapter = event ? this.providers.get(event.provider) : undefined;
    if (!event || !adapter?.completeRun) return false;
    try {
      return await adapter.completeRun(event, completion);
    } catch (error) {
      this.logger.warn(`run ${completion.runId}: ${event.provider} could not take its outcome: ${errorMessage(error)}`);
      return false;
    }
  }

  /**
   * `flow`: the run's flow as {@link execute} read it (undefined when it was purged meanwhile).
   * @returns the run's event and result (the handler's return value, see RunResult).
   */
  private async attempt(
    run: Run,
    flow: Flow | undefined,
    { attempt, maxAttempts, retry }: { attempt: number; maxAttempts: number; retry: boolean },
    log: RunLog,
    usage: Usage,
  ): Promise<{ event: StoredEvent; result: unknown }> {
    const [deployment, event] = await Promise.all([this.flows.findDeployment(run.deploymentId), this.events.findById(run.eventId)]);
    if (!deployment?.bundle || !event || !flow) throw new UnrecoverableError("the run's deployment or event no longer exists");
    log.info(
      `attempt ${attempt} of ${maxAttempts}: ${event.name}${event.action ? `.${event.action}` : ''} (delivery ${event.deliveryId}) for ${flow.name} v${deployment.version}`,
    );
    const bindings = await this.bindings(flow.ownerId, event, deployment.env, log);
    const own = bindings[event.provider];
    const { handled, result } = await this.runtime.execute({
      flowName: flow.name,
      bundle: deployment.bundle,
      env: deployment.env,
      event: { ...this.flowEvent(event), targets: own?.targets, names: own?.names },
      services: this.services(run, flow, bindings, log, usage, retry),
      isolate: { ownerId: flow.ownerId, flowId: flow.id, deploymentId: deployment.id },
    });
    log.info(handled > 0 ? `handled by ${handled} handler(s)` : 'no handler matched the event');
    return { event, result };
  }

  private flowEvent(event: StoredEvent): FlowEvent & { target?: string } {
    return {
      id: event.id,
      provider: event.provider as Provider,
      name: event.name,
      action: event.action ?? undefined,
      deliveryId: event.deliveryId,
      payload: event.payload,
      target: event.target ?? undefined,
    };
  }

  /**
   * Every provider's part of the run: the event's own provider bound to the owner's connection for it,
   * the others to the connection the flow's variables name (ProviderAdapter.bindAside: a schedule's
   * GitHub repository, its Slack workspace) or unbound (their calls say so). Resolved before the flow
   * starts because the SDK reads `github.context` and `slack.context` synchronously.
   */
  private async bindings(
    ownerId: string,
    event: StoredEvent,
    env: Record<string, string>,
    log: RunLog,
  ): Promise<Record<string, ProviderRunBinding>> {
    const bind = async (adapter: ProviderAdapter) =>
      adapter.id === event.provider
        ? adapter.bindRun(ownerId, event, log)
        : ((await adapter.bindAside?.(ownerId, env, log)) ?? adapter.unbound());
    const entries = await Promise.all(this.providers.adapters.map(async (adapter) => [adapter.id, await bind(adapter)] as const));
    return Object.fromEntries(entries);
  }

  /**
   * The host services of one attempt, bound to the flow's owner: their secrets, their connections, and
   * the run's effect journal, so a retry does not repeat what an earlier attempt did.
   */
  private services(
    run: Run,
    flow: Flow,
    providers: Record<string, ProviderRunBinding>,
    log: RunLog,
    usage: Usage,
    retry: boolean,
  ): RunServices {
    const llm = this.llm.forRun({
      flowId: run.flowId,
      key: (name) => this.llmKey(flow, name),
      used: (call) => {
        usage.promptTokens += call.promptTokens;
        usage.completionTokens += call.completionTokens;
        usage.costUsd += call.costUsd;
        log.info(describeCall(call));
      },
    });
    return {
      journal: new EffectJournal(this.redis, redisKey(this.config, 'journal', run.id), {
        id: run.id,
        retry,
        startedAt: run.createdAt.toISOString(),
      }),
      chatCompletion: llm.chatCompletion,
      llm: llm.llm,
      store: createFlowStore(this.redis, this.config.redis.prefix, run.flowId),
      fetch: createFlowFetch(this.config.flows.egress, (line) => log.info(line)),
      getSecret: flowSecrets(this.secrets, flow.ownerId, flow.name, log),
      log: log.flowLog,
      providers,
    };
  }

  /** The LLM key `keyName` of the flow's owner; its use is recorded under the flow's name. */
  private async llmKey(flow: Flow, keyName: string): Promise<LlmKey> {
    const secret = await this.secrets.reveal(flow.ownerId, keyName, { usedBy: flow.name });
    if (!secret) throw new SdkError('SECRET_NOT_FOUND', `no secret named "${keyName}" (PUT /api/secrets/${keyName})`);
    const { value: apiKey, baseURL, model, contextWindow, promptPrice, completionPrice } = secret;
    return { apiKey, baseURL, model, contextWindow, promptPrice, completionPrice };
  }
}
