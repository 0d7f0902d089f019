/** Why a flow could not be built or deployed; the message is meant for the flow's author. */
export class FlowDeployError extends Error {
  constructor(
    readonly code: 'FLOW_BUILD_FAILED' | 'FLOW_INVALID' | 'FLOW_RUN_FAILED',
    message: string,
  ) {
    super(message);
  }
}
