import { CodedError, asCodedError } from '@openflows/common';
import { FlowDeployError } from '@openflows/runtime';

/**
 * `error` as the CodedError the api answers with. A FlowDeployError is the flow author's 400 with its
 * code and message; anything else goes through `asCodedError` (CodedErrors as they are, unknown errors
 * INTERNAL). The runtime's errors are mapped here because libs/common may not depend on libs/runtime;
 * the other libraries' answers (GithubTokenError, InvalidSecretNameError…) are CodedErrors already.
 */
export function asApiError(error: unknown): CodedError {
  if (error instanceof FlowDeployError) return new CodedError(error.code, error.message, { cause: error });
  return asCodedError(error);
}
