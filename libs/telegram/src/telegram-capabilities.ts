import { Api } from 'grammy';
import { objectArgument, textArgument, type ProviderCapability } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { telegramFailure } from './telegram-api';

/** The capability names of `telegram` in the guest (the SDK's `chatApp`: `sendMessage` and `client`). */
export const TELEGRAM_CAPABILITIES = ['telegram.sendMessage', 'telegram.client'];

/**
 * `Api` methods a flow may not call: they take the bot's updates away from the platform's webhook
 * (`setWebhook`, `deleteWebhook`, `getUpdates`) or log the bot out of the Bot API (`logOut`, `close`).
 * Connecting and disconnecting the bot does what they would.
 */
const PLATFORM_METHODS: ReadonlySet<string> = new Set(['setWebhook', 'deleteWebhook', 'getUpdates', 'logOut', 'close']);

/** Whether `name` is a method of grammY's `Api` (its Bot API calls, `sendMessage`, `sendPhoto`, …). */
function isApiMethod(name: string): boolean {
  return name !== 'constructor' && Object.hasOwn(Api.prototype, name) && typeof (Api.prototype as never)[name] === 'function';
}

/** A message or topic id the flow gave as a string (ids cross the bridge as strings). @throws SdkError INVALID_ARGUMENT */
function idArgument(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const id = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new SdkError('INVALID_ARGUMENT', `${what} must be an integer id`);
  return id;
}

/** Runs a Bot API call; Telegram's refusals and failed requests become REQUEST_FAILED with Telegram's `error_code` and body. */
async function vendorCall<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = telegramFailure(error);
    if (!failure) throw error;
    throw new SdkError('REQUEST_FAILED', `Telegram ${method} failed: ${failure.message}`, { status: failure.status, data: failure.data });
  }
}

/**
 * `telegram.sendMessage(chatId, text, { replyTo?, threadId?, parseMode?, ...botApiFields })`: grammY's
 * `sendMessage` with `reply_parameters.message_id`, `message_thread_id` and `parse_mode`; other
 * options are passed on as Bot API fields (`reply_markup`, `disable_notification`, …).
 * @returns `{ messageId }`, the new message's `message_id` as a string.
 */
async function sendMessage(api: Api, [chatId, text, options]: unknown[]): Promise<{ messageId: string }> {
  const { replyTo, threadId, parseMode, ...fields } = objectArgument(options, 'options');
  const replyId = idArgument(replyTo, 'replyTo');
  const topicId = idArgument(threadId, 'threadId');
  if (parseMode !== undefined && typeof parseMode !== 'string') throw new SdkError('INVALID_ARGUMENT', 'parseMode must be a string');
  const other = {
    ...fields,
    ...(replyId !== undefined ? { reply_parameters: { message_id: replyId } } : {}),
    ...(topicId !== undefined ? { message_thread_id: topicId } : {}),
    ...(parseMode !== undefined ? { parse_mode: parseMode } : {}),
  };
  const chat = textArgument(chatId, 'chatId');
  const sent = await vendorCall('sendMessage', () => api.sendMessage(chat, textArgument(text, 'text'), other as never));
  return { messageId: String(sent.message_id) };
}

/**
 * `telegram.client.<method>(...args)`: any method of grammY's `Api` by name, with the flow's positional
 * arguments (`client.sendPhoto(chatId, url, { caption })`), answered with Telegram's `result`.
 * @throws SdkError INVALID_ARGUMENT for a name that is no `Api` method or one the platform keeps (see
 *   PLATFORM_METHODS), REQUEST_FAILED when Telegram refuses.
 */
async function clientCall(api: Api, [path, args]: unknown[]): Promise<unknown> {
  const method = textArgument(path, 'the Telegram method');
  if (!isApiMethod(method))
    throw new SdkError('INVALID_ARGUMENT', `${method} is not a method of the Telegram Bot API client (grammY's Api)`);
  if (PLATFORM_METHODS.has(method)) {
    throw new SdkError('INVALID_ARGUMENT', `${method} is kept by the platform, which manages the bot's webhook`);
  }
  if (!Array.isArray(args)) throw new SdkError('INVALID_ARGUMENT', 'the arguments must be a list');
  const call = (api as unknown as Record<string, (...values: unknown[]) => Promise<unknown>>)[method];
  return vendorCall(method, () => call.apply(api, args));
}

/** The `telegram` SDK calls of a run, made as the bot whose grammY `Api` is `api`. */
export function telegramCapabilities(api: Api): Record<string, ProviderCapability> {
  return {
    'telegram.sendMessage': (args) => sendMessage(api, args),
    'telegram.client': (args) => clientCall(api, args),
  };
}
