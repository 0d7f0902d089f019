import { SdkError, type ChatOptions } from '@openflows/sdk';
import { objectArgument, textArgument, type ProviderCapability } from '@openflows/common';
import type { FetchRequest } from '../egress/flow-fetch';
import { LlmCapabilities } from '../llm/llm-capabilities';
import type { RunServices } from '../run';
import type { RunHandler } from './flow-run';

type CoreCapability = (services: RunServices, args: unknown[]) => Promise<unknown>;

/** Chat options as the flow gave them; none stays undefined (the LLM service applies its defaults). */
function optionsOf(options: unknown): ChatOptions | undefined {
  return options === undefined || options === null ? undefined : (objectArgument(options, 'options') as ChatOptions);
}

/**
 * The host services behind the bridge, by the capability names the guest sends (`guest/host.ts`,
 * `guest/clients.ts`, `guest/fetch.ts`). Arguments arrive as parsed JSON and are checked here.
 */
const CAPABILITIES: Record<string, CoreCapability> = {
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
  'secrets.get': (s, [name]) => {
    if (!s.getSecret) throw new SdkError('NOT_IN_RUNTIME', 'getSecret is not available here');
    return s.getSecret(textArgument(name, 'the secret name'));
  },
  'fetch.request': (s, [request]) => {
    if (!s.fetch) throw new SdkError('NOT_IN_RUNTIME', 'fetch is not available here');
    return s.fetch(objectArgument(request, 'the request') as unknown as FetchRequest);
  },
};

/** Requests `fetch` makes without side effects (RFC 9110's safe methods). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Which of the platform's own calls are effects a retry must not repeat: an LLM turn (its history), store writes, unsafe fetches. */
const CORE_EFFECTS: Record<string, (args: unknown[]) => boolean> = {
  'chat.complete': () => true,
  'store.set': () => true,
  'store.del': () => true,
  'fetch.request': ([request]) => !SAFE_METHODS.has(String((request as { method?: unknown } | null)?.method ?? 'GET').toUpperCase()),
};

const own = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

type Capability = ProviderCapability;

/** The platform's own capability `capability`, else the one of the provider whose namespace starts it (`github.rest` → github). */
function capabilityOf(services: RunServices, capability: string): { run: Capability; isEffect: (args: unknown[]) => boolean } | undefined {
  if (own(CAPABILITIES, capability))
    return { run: (args) => CAPABILITIES[capability](services, args), isEffect: CORE_EFFECTS[capability] ?? (() => false) };
  const namespace = capability.slice(0, capability.indexOf('.'));
  const binding = own(services.providers, namespace) ? services.providers[namespace] : undefined;
  if (!binding)
    return { run: () => Promise.reject(new SdkError('NOT_IN_RUNTIME', `${namespace} is not available here`)), isEffect: () => false };
  if (!own(binding.capabilities, capability)) return undefined;
  return { run: binding.capabilities[capability], isEffect: (args) => binding.isEffect?.(capability, args) ?? true };
}

/**
 * The handler of a dispatched run: SDK calls go to `services` and its providers, log lines to its
 * logger. With a journal, calls with side effects go through it (see EffectJournal; the `llm.*`
 * calls journal themselves, see LlmCapabilities).
 */
export function dispatchHandler(services: RunServices): RunHandler {
  const llm = new LlmCapabilities(services);
  return {
    async call(capability, args) {
      const llmCall = llm.get(capability);
      if (llmCall) return llmCall(args);
      const found = capabilityOf(services, capability);
      if (!found) throw new SdkError('INVALID_ARGUMENT', `unknown SDK call ${capability}`);
      const { journal } = services;
      if (journal && found.isEffect(args)) return journal.step(capability, args, (effect) => found.run(args, effect));
      return found.run(args);
    },
    log: (level, message, fields) => services.log[level](message, fields),
    close: () => llm.close(),
  };
}
