import type { FlowBundle } from '../bundle';
import type { FlowDeployError } from '../errors';

/** What the build process is asked to do (its one argument, as JSON). */
export interface FlowBuildRequest {
  /** The flow folder, absolute. */
  folder: string;
  /** Only files under this folder may go into the bundle (see `BundleOptions.root`). */
  root?: string;
}

/**
 * Messages of the build process to the api, over the IPC channel: build log lines while it works,
 * then one result; `code` is unset for an unexpected error (reported as an internal error).
 */
export type FlowBuildMessage =
  { type: 'log'; line: string } | { type: 'done'; bundle: FlowBundle } | { type: 'error'; code?: FlowDeployError['code']; message: string };
