/**
 * Why a flow could not be built or deployed; the message is meant for the flow's author.
 * FLOW_SOURCE_INVALID: the git URL, branch, sub-folder or uploaded files are unusable (or the clone failed).
 */
export class FlowDeployError extends Error {
  constructor(
    readonly code: 'FLOW_BUILD_FAILED' | 'FLOW_INVALID' | 'FLOW_RUN_FAILED' | 'FLOW_SOURCE_INVALID',
    message: string,
  ) {
    super(message);
  }
}
