import { randomUUID } from 'node:crypto';
import { objectArgument, textArgument, type ProviderCapability } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { WechatApiError, type WechatQuery } from './wechat-api';
import type { PassiveReplyInput } from './wechat-ingress';

/** The capability names of `wechat` in the guest (the SDK's chat-app shape). */
export const WECHAT_CAPABILITIES = ['wechat.sendMessage', 'wechat.client'];

/** A call of the Official Account API with the account's access token added (WechatAccessTokens.withToken over WechatApi.call). */
export type WechatCall = (method: 'GET' | 'POST', path: string, query?: WechatQuery, body?: unknown) => Promise<unknown>;

/** What the capabilities of one run need: its push, the account's API, and the push's reply window. */
export interface WechatRunParts {
  /** The follower who sent the push (its `FromUserName`), the only one a passive reply can go to. */
  openId: string;
  /** The dedup key of the push (its MsgId, or `<OpenID>:<CreateTime>:<event>`), for the passive reply's id. */
  pushKey: string;
  call: WechatCall;
  /** Hands `input` to the ingress waiting on the push (ReplyWindow.deliver); false once it stopped waiting. */
  deliverPassive(input: PassiveReplyInput): Promise<boolean>;
}

/** Paths a flow may call: the Official Account API, nothing else on the host. */
const API_PATH = /^\/cgi-bin\/[A-Za-z0-9_/-]+$/;

/**
 * The `wechat` SDK calls of a run.
 * - `wechat.sendMessage([openId, text, options])` → `{ messageId }`. The run's first call, to the
 *   push's sender, becomes the passive reply when the ingress still waits (`messageId`
 *   `passive:<MsgId>`, or `passive:<OpenID>:<CreateTime>:<event>` for an event); every other call is
 *   a customer-service message, `POST /cgi-bin/message/custom/send` (WeChat gives it no id:
 *   `messageId` is `custom:<uuid>`).
 * - `wechat.client([method, [path, …]])`: `client.get(path, query?)`, `client.post(path, body?, query?)`
 *   for paths under `/cgi-bin/`, with the access token added; answers WeChat's JSON.
 * Errors: SdkError INVALID_ARGUMENT, REQUEST_FAILED (`status`, `data`: WeChat's `{ errcode, errmsg }`).
 */
export function wechatCapabilities(run: WechatRunParts): Record<string, ProviderCapability> {
  let firstMessage = true;
  return {
    'wechat.sendMessage': async ([chatId, text]) => {
      const openId = textArgument(chatId, 'chatId');
      const content = textArgument(text, 'text');
      if (content === '') throw new SdkError('INVALID_ARGUMENT', 'text must not be empty');
      const passive = firstMessage && openId === run.openId;
      firstMessage = false;
      if (passive && (await run.deliverPassive({ content }))) return { messageId: `passive:${run.pushKey}` };
      await vendor(() => run.call('POST', '/cgi-bin/message/custom/send', {}, { touser: openId, msgtype: 'text', text: { content } }));
      return { messageId: `custom:${randomUUID()}` };
    },
    'wechat.client': async ([method, args]) => {
      const [path, first, second] = Array.isArray(args) ? (args as unknown[]) : [];
      const name = textArgument(method, 'the client method');
      const target = apiPath(path);
      if (name === 'get') {
        const query = queryArgument(first);
        return vendor(() => run.call('GET', target, query));
      }
      if (name === 'post') {
        const query = queryArgument(second);
        return vendor(() => run.call('POST', target, query, first ?? {}));
      }
      throw new SdkError('INVALID_ARGUMENT', `wechat.client has get(path, query) and post(path, body, query), not ${name}`);
    },
  };
}

function apiPath(value: unknown): string {
  const path = textArgument(value, 'the path');
  if (!API_PATH.test(path))
    throw new SdkError('INVALID_ARGUMENT', `the path must be under /cgi-bin/ (e.g. /cgi-bin/user/info), got ${path}`);
  return path;
}

function queryArgument(value: unknown): WechatQuery {
  const query = objectArgument(value, 'the query');
  for (const [name, item] of Object.entries(query)) {
    if (!['string', 'number', 'boolean'].includes(typeof item))
      throw new SdkError('INVALID_ARGUMENT', `query ${name} must be a string or number`);
    if (name === 'access_token') throw new SdkError('INVALID_ARGUMENT', 'the platform adds access_token itself');
  }
  return query as WechatQuery;
}

/** `call`'s answer; WeChat's refusal as SdkError REQUEST_FAILED with its status and `{ errcode, errmsg }`. */
async function vendor<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WechatApiError) {
      throw new SdkError('REQUEST_FAILED', `WeChat answered errcode ${error.errcode}: ${error.errmsg}`, {
        status: error.status,
        data: error.data,
      });
    }
    throw new SdkError('REQUEST_FAILED', `WeChat could not be reached: ${(error as Error).message}`);
  }
}
