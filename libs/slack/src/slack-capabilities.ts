import { objectArgument, textArgument, type ProviderCapability } from '@openflows/common';
import type { SlackClient } from '@openflows/sdk/host';

/** The capability names of `slack` in the guest (`libs/runtime/src/isolate/guest/clients.ts`). */
export const SLACK_CAPABILITIES = ['slack.apiCall'];

/** The `slack` SDK calls of a run: `slack.apiCall` (`[method, args]`) with the workspace's WebClient, answering Slack's JSON. */
export function slackCapabilities(client: SlackClient): Record<string, ProviderCapability> {
  return {
    'slack.apiCall': async ([method, args]) =>
      client.apiCall(textArgument(method, 'the Slack method'), objectArgument(args, 'the arguments')),
  };
}
