import { Client } from '@larksuiteoapi/node-sdk';
import { objectArgument, textArgument, type ProviderCapability } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { describeAnswer, larkFailure, succeeded } from './lark-errors';

/** The capability names of `lark` in the guest (the SDK's chat-app namespace). */
export const LARK_CAPABILITIES = ['lark.sendMessage', 'lark.client'];

let namespaces: ReadonlySet<string> | undefined;

/**
 * The API namespaces of the SDK's Client (`im`, `contact`, `drive`, … 115 of them): the own properties
 * of the generated class it extends, built without credentials. Everything else on a Client is the SDK's
 * own state (app secret, token manager and cache, HTTP instance, `request` to any URL with the tenant
 * token), which a flow must not reach.
 */
function apiNamespaces(): ReadonlySet<string> {
  const Generated = Object.getPrototypeOf(Client.prototype as object).constructor as new () => object;
  namespaces ??= new Set(Object.keys(new Generated()));
  return namespaces;
}

/**
 * The client method at dotted `path` (`im.v1.message.create`, `im.message.reply`, `contact.v3.user.get`),
 * bound to its object. Only own properties of an API namespace are followed; pagination helpers
 * (`…WithIterator`) are refused because an async iterator cannot cross the bridge (call the paged method
 * with `page_token` instead).
 * @throws SdkError INVALID_ARGUMENT for any other path.
 */
function clientMethod(client: Client, path: string): (...args: unknown[]) => unknown {
  const names = path.split('.');
  const refused = () =>
    new SdkError('INVALID_ARGUMENT', `lark.client.${path} is not a method of the Lark client (e.g. im.v1.message.create)`);
  if (!apiNamespaces().has(names[0]) || names[names.length - 1].endsWith('WithIterator')) throw refused();
  let owner: unknown = client;
  let value: unknown = client;
  for (const name of names) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || !Object.hasOwn(value, name)) throw refused();
    owner = value;
    value = (value as Record<string, unknown>)[name];
  }
  if (typeof value !== 'function') throw refused();
  const method = value as (...args: unknown[]) => unknown;
  return (...args) => method.apply(owner, args);
}

/**
 * Runs a call of the Open Platform and answers its body.
 * @throws SdkError REQUEST_FAILED with `status` and `data` (Lark's `{code, msg}`) when Lark refuses it,
 *   with an HTTP error or with a non-zero `code` in a 200 answer, or cannot be reached.
 */
async function larkCall(call: () => unknown): Promise<unknown> {
  let answer: unknown;
  try {
    answer = await call();
  } catch (error) {
    const failure = larkFailure(error);
    throw new SdkError('REQUEST_FAILED', `the Lark call failed: ${failure.message}`, { status: failure.status, data: failure.data });
  }
  if (!succeeded(answer))
    throw new SdkError('REQUEST_FAILED', `Lark refused the call: ${describeAnswer(answer)}`, { status: 200, data: answer });
  return answer;
}

/** An optional string option. @throws SdkError INVALID_ARGUMENT */
function optionalText(value: unknown, what: string): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : textArgument(value, what);
}

/**
 * `lark.sendMessage(chatId, text, { replyTo?, threadId?, uuid? })`: a text message (`msg_type` text,
 * `content` `{"text": …}`). With `replyTo`, `im.v1.message.reply` to that message (in its chat), in its
 * thread when `threadId` is given (`reply_in_thread`); else `im.v1.message.create` in the chat
 * (`receive_id_type` chat_id). `uuid` is Lark's de-duplication key (one message per uuid for an hour).
 * @returns `{ messageId }` of the new message.
 * @throws SdkError INVALID_ARGUMENT (Lark posts into a thread only as a reply: `threadId` needs
 *   `replyTo`), REQUEST_FAILED
 */
async function sendMessage(client: Client, [chatId, text, options]: unknown[]): Promise<{ messageId: string }> {
  const chat = textArgument(chatId, 'the chat id');
  const content = JSON.stringify({ text: textArgument(text, 'the text') });
  const { replyTo, threadId, uuid } = objectArgument(options, 'the options');
  const [reply, thread, key] = [optionalText(replyTo, 'replyTo'), optionalText(threadId, 'threadId'), optionalText(uuid, 'uuid')];
  if (thread && !reply) {
    throw new SdkError('INVALID_ARGUMENT', 'Lark posts into a thread as a reply: give replyTo (e.g. lark.context.messageId) with threadId');
  }
  const common = { msg_type: 'text', content, ...(key ? { uuid: key } : {}) };
  const answer = (await larkCall(() =>
    reply
      ? client.im.v1.message.reply({ path: { message_id: reply }, data: { ...common, ...(thread ? { reply_in_thread: true } : {}) } })
      : client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { ...common, receive_id: chat } }),
  )) as { data?: { message_id?: unknown } };
  const messageId = answer.data?.message_id;
  if (typeof messageId !== 'string')
    throw new SdkError('REQUEST_FAILED', 'Lark answered without a message_id', { status: 200, data: answer });
  return { messageId };
}

/**
 * The `lark` SDK calls of a run with the app's SDK Client: `lark.sendMessage` (`[chatId, text,
 * options]`) and `lark.client` (`[dottedPath, args]`: any API method of the Client, answering Lark's
 * body as JSON).
 */
export function larkCapabilities(client: Client): Record<string, ProviderCapability> {
  return {
    'lark.sendMessage': (args) => sendMessage(client, args),
    'lark.client': async ([path, args]) => {
      if (args !== undefined && !Array.isArray(args)) throw new SdkError('INVALID_ARGUMENT', 'the arguments must be an array');
      const method = clientMethod(client, textArgument(path, 'the client method'));
      return JSON.parse(JSON.stringify((await larkCall(() => method(...(args ?? [])))) ?? null)) as unknown;
    },
  };
}
