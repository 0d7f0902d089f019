import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, errorMessage, type AppConfig } from '@openflows/common';
import { FlowsRepository, type FlowDetail, type FlowVariables, type StoredSource } from '@openflows/db';
import { RegistrationService } from '@openflows/providers';
import { SecretsService } from '@openflows/secrets';
import {
  FlowDeployError,
  bundleSecrets,
  checkGitSource,
  cloneFlowSource,
  discoverSubscriptions,
  missingSecrets,
  missingVariables,
  readFlowPackage,
  runFlowBuild,
  writeUploadedFiles,
  type DeclaredSecret,
  type GitSourceSpec,
  type UploadedFile,
} from '@openflows/runtime';

/** Error of a deployment a dead process left `building`. */
export const INTERRUPTED = 'interrupted: the platform stopped during the build; deploy again';

/** How long shutdown waits for builds under way before leaving them to be marked interrupted (ms). */
const SHUTDOWN_WAIT_MS = 10_000;

/** Where a build gets its code: a folder to bundle (git checkout, upload) or an existing bundle (redeploy). */
type BuildInput =
  | { kind: 'git'; clone: { cloneUrl: string; branch?: string; path?: string }; source: StoredSource & { kind: 'git' } }
  | { kind: 'folder'; folder: string; source: StoredSource }
  | { kind: 'bundle'; bundle: string; variables: FlowVariables };

/** Appends one line to the build log of the deployment under way. */
type BuildLog = (line: string) => Promise<void>;

/**
 * Builds flows in the background: a deployment is recorded `building` at once, then cloned or unpacked
 * into a temporary folder, checked (package.json, required variables), its npm dependencies installed
 * and bundled in a build process without the server's secrets ({@link runFlowBuild}), its
 * subscriptions discovered and their registration checked, and made live as `POST /api/flows` does;
 * or marked `failed` with the reason, the live deployment staying.
 * Every step appends a line to the deployment's build log; temporary folders are removed afterwards.
 */
@Injectable()
export class FlowBuildsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(FlowBuildsService.name);
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly flows: FlowsRepository,
    private readonly registration: RegistrationService,
    private readonly secrets: SecretsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Builds left `building` by a process that died cannot finish any more: marks them failed. */
  async onModuleInit(): Promise<void> {
    const count = await this.flows.failInterruptedBuilds(INTERRUPTED);
    if (count > 0) this.logger.warn(`${count} flow build(s) were interrupted by a restart and are marked failed`);
  }

  /** Gives builds under way up to 10 s to finish; the rest are marked interrupted at the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Clones a git source (depth 1) and reads its flow's package.json, without deploying anything.
   * @returns `name` (without scope), `openflows.variables` and `openflows.secrets`.
   * @throws FlowDeployError FLOW_SOURCE_INVALID (URL, branch, folder, clone), FLOW_INVALID (package.json).
   */
  async inspectGit(spec: GitSourceSpec): Promise<{ name?: string; variables: FlowVariables; secrets: DeclaredSecret[] }> {
    const clone = { ...checkGitSource(spec, this.config.flowSources.allowLocal), branch: spec.branch };
    const dir = mkdtempSync(join(tmpdir(), 'openflows-inspect-'));
    try {
      const { folder } = await cloneFlowSource(clone, join(dir, 'checkout'), this.config.flows.egress);
      const { name, variables, secrets } = readFlowPackage(folder);
      return { name, variables, secrets };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Starts building `name` from a git repository. The URL, branch and sub-folder are checked first.
   * @returns the flow with its new `building` deployment as `latest`.
   * @throws FlowDeployError FLOW_SOURCE_INVALID for a URL, branch or sub-folder that cannot be used.
   */
  async startGit(ownerId: string, name: string, spec: GitSourceSpec, env: Record<string, string>): Promise<FlowDetail> {
    const checked = checkGitSource(spec, this.config.flowSources.allowLocal);
    const source = { kind: 'git' as const, url: spec.url.trim(), branch: spec.branch, path: checked.path || undefined };
    return this.start(ownerId, name, env, source, { kind: 'git', clone: { ...checked, branch: spec.branch }, source });
  }

  /**
   * Starts building `name` from uploaded files (paths inside the flow folder), written to a temporary
   * folder before this returns.
   * @throws FlowDeployError FLOW_SOURCE_INVALID for no files, a path that is absolute or has `..`.
   */
  async startUpload(ownerId: string, name: string, files: UploadedFile[], env: Record<string, string>): Promise<FlowDetail> {
    const dir = mkdtempSync(join(tmpdir(), 'openflows-upload-'));
    let folder: string;
    try {
      folder = writeUploadedFiles(dir, files);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const source = { kind: 'upload' as const, files: files.length };
    return this.start(ownerId, name, env, source, { kind: 'folder', folder, source }, dir);
  }

  /**
   * Builds the flow again: a git source is cloned again; any other deployment reuses the newest bundle
   * with `env` (default: the latest deployment's variables).
   * @throws FlowDeployError FLOW_SOURCE_INVALID when there is nothing to rebuild from (no git source, no bundle).
   */
  async startRedeploy(ownerId: string, detail: FlowDetail, env?: Record<string, string>): Promise<FlowDetail> {
    const latest = detail.latest;
    const nextEnv = env ?? latest?.env ?? {};
    if (latest?.source.kind === 'git') {
      const { url, branch, path } = latest.source;
      return this.startGit(ownerId, detail.flow.name, { url, branch, path }, nextEnv);
    }
    const previous = await this.flows.latestBundle(detail.flow.id);
    if (!previous?.bundle) {
      throw new FlowDeployError(
        'FLOW_SOURCE_INVALID',
        'nothing to redeploy: no build of this flow succeeded yet; deploy it from its source',
      );
    }
    const source: StoredSource = { ...previous.source, variables: detail.variables };
    return this.start(ownerId, detail.flow.name, nextEnv, source, { kind: 'bundle', bundle: previous.bundle, variables: detail.variables });
  }

  /** Records the `building` deployment and runs the build in the background. `cleanup` is removed once it ends. */
  private async start(
    ownerId: string,
    name: string,
    env: Record<string, string>,
    source: StoredSource,
    input: BuildInput,
    cleanup?: string,
  ): Promise<FlowDetail> {
    let detail: FlowDetail;
    try {
      detail = await this.flows.startBuild({ ownerId, name, env, source });
    } catch (error) {
      if (cleanup) rmSync(cleanup, { recursive: true, force: true });
      throw error;
    }
    const deploymentId = detail.latest!.id;
    const build = this.build(ownerId, name, deploymentId, env, input, cleanup).finally(() => this.running.delete(build));
    this.running.add(build);
    return detail;
  }

  /** The whole build of one deployment; never rejects (failures end in the deployment's `error`). */
  private async build(
    ownerId: string,
    name: string,
    deploymentId: string,
    env: Record<string, string>,
    input: BuildInput,
    cleanup?: string,
  ): Promise<void> {
    const log: BuildLog = (line) => this.flows.appendBuildLog(deploymentId, `${new Date().toISOString()} ${line}\n`);
    const work = mkdtempSync(join(tmpdir(), 'openflows-build-'));
    try {
      const bundle = await this.produceBundle(deploymentId, env, input, work, log);
      await this.assertSecrets(ownerId, bundle, env);
      const declared = await discoverSubscriptions(bundle, env, name, this.config.flows.limits);
      await log(`run() declared: ${declared.map((s) => `${s.provider} ${s.target} ${s.event}`).join(', ')}`);
      const subscriptions = await this.registration.check(ownerId, declared);
      const reason = await this.registration.reason(ownerId, subscriptions);
      await log(reason ? `unregistered: ${reason}` : 'every subscription is registered');
      await log('activating');
      const live = await this.flows.activate(deploymentId, bundle, subscriptions);
      if (live) {
        await log(`v${live.deployment!.version} is live`);
        // Providers create, update or remove what the vendor needs (GitHub's repository webhooks…) to match.
        await this.registration.sync(ownerId);
      } else this.logger.log(`build ${deploymentId} of ${name} finished after it was cancelled or purged`);
    } catch (error) {
      await this.fail(deploymentId, name, error, log);
    } finally {
      rmSync(work, { recursive: true, force: true });
      if (cleanup) rmSync(cleanup, { recursive: true, force: true });
    }
  }

  /** Clones or takes the folder, checks it, and has it installed and bundled; or returns the bundle a redeploy reuses. */
  private async produceBundle(
    deploymentId: string,
    env: Record<string, string>,
    input: BuildInput,
    work: string,
    log: BuildLog,
  ): Promise<string> {
    if (input.kind === 'bundle') {
      await log(`reusing the bundle of the latest successful build (${input.bundle.length} bytes)`);
      this.assertVariables(input.variables, env);
      return input.bundle;
    }
    let folder: string;
    let root: string;
    let source = input.source;
    if (input.kind === 'git') {
      const where = [
        input.source.url,
        input.clone.branch && `branch ${input.clone.branch}`,
        input.clone.path && `folder ${input.clone.path}`,
      ];
      await log(`cloning ${where.filter(Boolean).join(', ')}`);
      root = join(work, 'checkout');
      const cloned = await cloneFlowSource(input.clone, root, this.config.flows.egress);
      folder = cloned.folder;
      source = { ...input.source, commit: cloned.commit };
      await log(`checked out ${cloned.commit}`);
    } else {
      folder = root = input.folder;
      await log(`${input.source.kind === 'upload' ? input.source.files : 0} uploaded files`);
    }
    const pkg = readFlowPackage(folder);
    await this.flows.updateSource(deploymentId, { ...source, variables: pkg.variables });
    const declared = Object.keys(pkg.variables);
    await log(`package.json: ${pkg.name ?? '(no name)'}; variables: ${declared.length > 0 ? declared.join(', ') : 'none'}`);
    this.assertVariables(pkg.variables, env);
    const { buildMemoryMb, buildTimeoutMs } = this.config.flowSources;
    const { code } = await runFlowBuild(folder, { root, memoryMb: buildMemoryMb, timeoutMs: buildTimeoutMs, log });
    await log(`bundled: ${code.length} bytes`);
    return code;
  }

  /** @throws FlowDeployError FLOW_INVALID naming each required variable `env` lacks, with its description. */
  private assertVariables(variables: FlowVariables, env: Record<string, string>): void {
    const missing = missingVariables(variables, env);
    if (missing.length === 0) return;
    const described = missing.map((key) => (variables[key].description ? `${key} (${variables[key].description})` : key));
    throw new FlowDeployError('FLOW_INVALID', `missing required variable${missing.length > 1 ? 's' : ''}: ${described.join(', ')}`);
  }

  /**
   * Checks that the owner has every secret the bundle declares (`openflows.secrets`, carried in its
   * banner), each under the name it resolves to with `env`.
   * @throws FlowDeployError FLOW_INVALID naming each missing secret, with its description.
   */
  async assertSecrets(ownerId: string, bundle: string, env: Record<string, string>): Promise<void> {
    const declared = bundleSecrets(bundle);
    if (declared.length === 0) return;
    const existing = new Set((await this.secrets.list(ownerId)).map((secret) => secret.name));
    const missing = missingSecrets(declared, env, existing);
    if (missing.length === 0) return;
    const described = missing.map((secret) => (secret.description ? `${secret.name} (${secret.description})` : secret.name));
    throw new FlowDeployError(
      'FLOW_INVALID',
      `missing secret${missing.length > 1 ? 's' : ''}: ${described.join(', ')}; store ${missing.length > 1 ? 'them' : 'it'} first (openflows secrets set <name>)`,
    );
  }

  /** Logs the failure in full and marks the deployment failed with its first line. */
  private async fail(deploymentId: string, name: string, error: unknown, log: BuildLog): Promise<void> {
    const expected = error instanceof FlowDeployError;
    const message = expected ? error.message : `internal error: ${errorMessage(error)}`;
    if (!expected) this.logger.error(`build ${deploymentId} of ${name} failed: ${errorMessage(error)}`);
    try {
      await log(`failed: ${message}`);
      await this.flows.failBuild(deploymentId, message.split('\n')[0]);
    } catch (recordError) {
      this.logger.error(`could not record the failed build ${deploymentId} of ${name}: ${errorMessage(recordError)}`);
    }
  }
}
