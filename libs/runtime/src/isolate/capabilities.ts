import { SdkError, type ChatOptions } from '@openflows/sdk';
import { objectArgument, textArgument } from '@openflows/common';
import type { FetchRequest } from '../egress/flow-fetch';
import { LlmCapabilities } from '../llm/llm-capabilities';
import type { RunServices } from '../run';
import type { RunHandler } from './flow-run';

type Capability = (services: RunServices, args: unknown[]) => Promise<unknown>;

/** Chat options as the flow gave them; none stays undefined (the LLM service applies its defaults). */
function optionsOf(options: unknown): ChatOptions | undefined {
  return options === undefined || options === null ? undefined : (objectArgument(options, 'options') as ChatOptions);
}

/**
 * The host services behind the bridge, by the capability names the guest sends (`guest/host.ts`,
 * `guest/clients.ts`, `guest/fetch.ts`). Arguments arrive as parsed JSON and are checked here.
 */
const CAPABILITIES: Record<string, Capability> = {
  'chat.complete': (s, [keyName, conversationId, message, options]) =>
    s.chatCompletion(
      textArgument(keyName, 'keyName'),
      textArgument(conversationId, 'conversationId'),
      textArgument(message, 'text'),
      optionsOf(options),
    ),
  'store.get': (s, [key]) => s.store.get(textArgument(key, 'the key')),
  'store.set': (s, [key, value, options]) =>
    s.store.set(textArgument(key, 'the key'), value, objectArgument(options, 'options') as { ttl?: number }),
  'store.del': (s, [key]) => s.store.del(textArgument(key, 'the key')),
  'fetch.request': (s, [request]) => {
    if (!s.fetch) throw new SdkError('NOT_IN_RUNTIME', 'fetch is not available here');
    return s.fetch(objectArgument(request, 'the request') as unknown as FetchRequest);
  },
};

const own = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** The platform's own capability `capability`, else the one of the provider whose namespace starts it (`github.rest` → github). */
function capabilityOf(services: RunServices, capability: string): ((args: unknown[]) => Promise<unknown>) | undefined {
  if (own(CAPABILITIES, capability)) return (args) => CAPABILITIES[capability](services, args);
  const namespace = capability.slice(0, capability.indexOf('.'));
  const binding = own(services.providers, namespace) ? services.providers[namespace] : undefined;
  if (!binding) return () => Promise.reject(new SdkError('NOT_IN_RUNTIME', `${namespace} is not available here`));
  return own(binding.capabilities, capability) ? binding.capabilities[capability] : undefined;
}

/** The handler of a dispatched run: SDK calls go to `services` and its providers, log lines to its logger. */
export function dispatchHandler(services: RunServices): RunHandler {
  const llm = new LlmCapabilities(services);
  return {
    async call(capability, args) {
      const run = llm.get(capability) ?? capabilityOf(services, capability);
      if (!run) throw new SdkError('INVALID_ARGUMENT', `unknown SDK call ${capability}`);
      return run(args);
    },
    log: (level, message, fields) => services.log[level](message, fields),
    close: () => llm.close(),
  };
}
