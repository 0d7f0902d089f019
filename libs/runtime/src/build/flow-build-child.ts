/**
 * The build process: installs a flow's npm dependencies and bundles it, the two steps that run
 * third-party tooling (npm, esbuild) on a user's files. `runFlowBuild` starts it with an environment
 * of its own (`flowBuildEnv`), a heap limit and a deadline, and reads its {@link FlowBuildMessage}s.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '@openflows/common';
import { bundleFlow, type FlowBundle } from '../bundle';
import { FlowDeployError } from '../errors';
import { installFlowDependencies, readFlowPackage } from '../flow-source';
import { npmrcFromEnv } from './build-env';
import type { FlowBuildMessage, FlowBuildRequest } from './messages';

/** Sends `message` to the api; resolves once it is written to the channel. */
function send(message: FlowBuildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

/** Installs the dependencies package.json names (npm's output goes to the log) and bundles the folder. */
async function build(request: FlowBuildRequest): Promise<FlowBundle> {
  writeFileSync(join(process.env.HOME!, '.npmrc'), npmrcFromEnv(process.env));
  const { dependencies } = readFlowPackage(request.folder);
  if (dependencies.length > 0) {
    await send({ type: 'log', line: `npm install (${dependencies.join(', ')})` });
    await send({ type: 'log', line: (await installFlowDependencies(request.folder)).trim() });
  }
  return bundleFlow(request.folder, { root: request.root });
}

/** Runs the build of `process.argv[2]` and reports its result; the process ends with the channel. */
async function main(): Promise<void> {
  // Nothing may outlive the api that asked for the build.
  process.once('disconnect', () => process.exit(1));
  let result: FlowBuildMessage;
  try {
    result = { type: 'done', bundle: await build(JSON.parse(process.argv[2]) as FlowBuildRequest) };
  } catch (error) {
    result =
      error instanceof FlowDeployError
        ? { type: 'error', code: error.code, message: error.message }
        : { type: 'error', message: errorMessage(error) };
  }
  await send(result);
  process.exit(0);
}

void main();
