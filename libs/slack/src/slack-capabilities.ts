import { objectArgument, textArgument, type EffectContext, type ProviderCapability } from '@openflows/common';
import type { SlackClient } from '@openflows/sdk/host';

/** The capability names of `slack` in the guest (`libs/runtime/src/isolate/guest/clients.ts`). */
export const SLACK_CAPABILITIES = ['slack.apiCall'];

/** The last part of a Web API method that only reads (`users.info`, `conversations.history`, `auth.test`, `chat.getPermalink`…). */
const READ_METHOD = /^(list|info|history|replies|test|members)$|^(get|lookup)/;

/** Whether a `slack` call has side effects (see ProviderRunBinding.isEffect): every Web API method that does not only read. */
export function isSlackEffect(_capability: string, [method]: unknown[]): boolean {
  return !READ_METHOD.test(String(method).split('.').pop() ?? '');
}

/** The message metadata event type an effect's marker travels in. */
const EFFECT_EVENT = 'openflows_effect';

interface SlackMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: { marker?: unknown } };
}

/**
 * `chat.postMessage` as one effect of a run: the message carries the step's marker in its metadata
 * (unless the flow sets metadata itself); on a retry, a message of the channel (or thread) with that
 * marker posted since the run began is answered instead of a new one.
 */
async function postMessage(client: SlackClient, args: Record<string, unknown>, effect?: EffectContext): Promise<unknown> {
  if (!effect || args.metadata !== undefined) return client.apiCall('chat.postMessage', args);
  if (effect.retry) {
    const history = args.thread_ts ? 'conversations.replies' : 'conversations.history';
    const oldest = String(Math.floor(Date.parse(effect.since) / 1000));
    const found = (await client.apiCall(history, {
      channel: args.channel,
      ts: args.thread_ts,
      oldest,
      include_all_metadata: true,
      limit: 200,
    })) as {
      messages?: SlackMessage[];
    };
    const done = found.messages?.find((m) => m.metadata?.event_type === EFFECT_EVENT && m.metadata.event_payload?.marker === effect.marker);
    if (done) return { ok: true, channel: args.channel, ts: done.ts, message: done };
  }
  return client.apiCall('chat.postMessage', { ...args, metadata: { event_type: EFFECT_EVENT, event_payload: { marker: effect.marker } } });
}

/**
 * The `slack` SDK calls of a run: `slack.apiCall` (`[method, args]`) with the workspace's WebClient,
 * answering Slack's JSON. Journaled messages carry their run's marker (see postMessage).
 */
export function slackCapabilities(client: SlackClient): Record<string, ProviderCapability> {
  return {
    'slack.apiCall': async ([method, args], effect) => {
      const name = textArgument(method, 'the Slack method');
      const parameters = objectArgument(args, 'the arguments');
      return name === 'chat.postMessage' ? postMessage(client, parameters, effect) : client.apiCall(name, parameters);
    },
  };
}
