import { Injectable } from '@nestjs/common';
import {
  CodedError,
  ReplyWindow,
  type AcceptEvent,
  type EventEnvelope,
  type IngressAnswer,
  type IngressRequest,
  type ProviderIngress,
} from '@openflows/common';
import { asPush, encryptedReplyXml, parseXml, textReplyXml, wechatEnvelope, type WechatPush } from './messages';
import { PassiveReplies } from './passive-replies';
import { WechatAccountsService, type WechatAccount } from './wechat-accounts.service';
import { decryptMessage, encryptedReplyFields, signatureMatches, signatureOf } from './wechat-crypto';

/**
 * How long a push waits for its run's answer, from its arrival (ms): WeChat waits 5 s for the HTTP
 * answer; the rest is for the network.
 */
export const REPLY_WAIT_MS = 4500;
/** The reply window outlives its waiter only when the api process dies (ms). */
const WINDOW_TTL_MS = 6000;
/** Timestamps further off than this either way are refused (s): the plaintext signature does not cover the body. */
const MAX_SKEW_SECONDS = 5 * 60;

/** What WeChat takes for "no reply"; it then shows the follower nothing. */
const SUCCESS: IngressAnswer = { status: 200, body: 'success', type: 'text/plain' };

/** What a run hands the waiting ingress as its passive reply (see {@link replyWindowId}). */
export interface PassiveReplyInput {
  content: string;
}

/** The ReplyWindow id of a push: the ingress and the push's runs both know its delivery id. */
export function replyWindowId(deliveryId: string): string {
  return `wechat:${deliveryId}`;
}

/**
 * `/webhooks/wechat/<connection id>`, the server URL of one connected Official Account.
 * - `GET` (the console's URL check): `signature` = SHA-1 of the sorted Token, `timestamp`, `nonce`;
 *   answers `echostr` as text.
 * - `POST` (a message or event push, XML): the same signature, a timestamp within five minutes either
 *   way; in safe or compatible mode (`encrypt_type=aes`) also `msg_signature` over the `Encrypt`
 *   field, which is decrypted with the EncodingAESKey and must name the account's AppID.
 *
 * A push is answered within WeChat's 5 s: the reply window of its delivery is opened before it is
 * queued, and when a run's first `wechat.sendMessage` to the sender comes within {@link REPLY_WAIT_MS}
 * it becomes the passive reply (XML in the HTTP answer, encrypted in safe mode); otherwise the answer
 * is `success` and the run's message goes out as a customer-service message. WeChat's retries of a push
 * (same MsgId, or OpenID + CreateTime) queue nothing new and are answered what the first copy answered.
 */
@Injectable()
export class WechatIngress implements ProviderIngress {
  constructor(
    private readonly accounts: WechatAccountsService,
    private readonly window: ReplyWindow,
    private readonly passive: PassiveReplies,
  ) {}

  /**
   * @throws CodedError CONNECTION_NOT_FOUND (no such account), SIGNATURE_INVALID and TIMESTAMP_INVALID
   *   (401), BODY_MALFORMED (not XML), DELIVERY_MALFORMED (fields missing), DECRYPTION_FAILED,
   *   REDIS_UNREACHABLE or EVENT_NOT_QUEUED (503); nothing is queued then.
   */
  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const arrivedAt = Date.now();
    const account = await this.accounts.byConnectionId(request.path);
    if (!account) throw new CodedError('CONNECTION_NOT_FOUND', `no WeChat Official Account is connected at ${request.path}`);
    verifySignature(request.query, account.token, arrivedAt);
    if (request.method === 'GET') {
      const echostr = request.query.echostr;
      if (!echostr) throw new CodedError('DELIVERY_MALFORMED', 'the URL check has no echostr');
      return { status: 200, body: echostr, type: 'text/plain' };
    }
    if (request.method !== 'POST') return { status: 405, headers: { allow: 'GET, POST' } };
    const safe = request.query.encrypt_type === 'aes';
    const push = asPush(safe ? opened(request, account) : parseXml(request.raw.toString('utf8')));
    const reply = await this.reply(wechatEnvelope(account.appId, push), accept, arrivedAt, (input) => replyXml(account, push, input, safe));
    return reply === undefined ? SUCCESS : { status: 200, body: reply, type: 'application/xml' };
  }

  /**
   * Queues the push and waits for its passive reply until {@link REPLY_WAIT_MS} after `arrivedAt`.
   * @returns the reply XML, or undefined for `success`.
   */
  private async reply(
    envelope: EventEnvelope,
    accept: AcceptEvent,
    arrivedAt: number,
    build: (input: PassiveReplyInput) => string,
  ): Promise<string | undefined> {
    const id = envelope.deliveryId;
    const remaining = () => Math.max(0, arrivedAt + REPLY_WAIT_MS - Date.now());
    if (!(await redis(() => this.passive.claim(id)))) {
      // A retry. Accepting it again queues a push whose first copy was stored but never queued.
      await accept(envelope);
      return redis(() => this.passive.settled(id, remaining()));
    }
    const pending = await this.window.open(replyWindowId(id), WINDOW_TTL_MS).catch(async (error: unknown) => {
      await this.passive.release(id).catch(() => undefined);
      throw new CodedError('REDIS_UNREACHABLE', 'Redis is unreachable; the push was not queued', { cause: error });
    });
    try {
      await accept(envelope);
    } catch (error) {
      // Closed at once: a run of the push (a racing copy may have queued it) sends a customer-service message.
      await pending.wait(0).catch(() => undefined);
      await this.passive.release(id).catch(() => undefined);
      throw error;
    }
    const answer = await pending.wait(remaining()).catch(() => undefined);
    const reply = isReplyInput(answer) ? build(answer) : undefined;
    await this.passive.settle(id, reply ?? null).catch(() => undefined);
    return reply;
  }
}

/**
 * Checks `signature` (and the timestamp) of a request. @throws CodedError SIGNATURE_INVALID,
 * TIMESTAMP_INVALID (401).
 */
function verifySignature(query: IngressRequest['query'], token: string, now: number): void {
  const { timestamp = '', nonce = '', signature } = query;
  if (!signatureMatches(signatureOf(token, timestamp, nonce), signature)) {
    throw new CodedError('SIGNATURE_INVALID', 'signature is missing or does not match the Token');
  }
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(now / 1000 - seconds) > MAX_SKEW_SECONDS) {
    throw new CodedError('TIMESTAMP_INVALID', 'timestamp is missing or more than five minutes off');
  }
}

/**
 * The decrypted fields of a safe-mode push, after its `msg_signature` is checked.
 * @throws CodedError SIGNATURE_INVALID, BODY_MALFORMED, DECRYPTION_FAILED.
 */
function opened(request: IngressRequest, account: WechatAccount): Record<string, unknown> {
  const outer = parseXml(request.raw.toString('utf8'));
  const encrypted = typeof outer.Encrypt === 'string' ? outer.Encrypt : '';
  const { timestamp = '', nonce = '', msg_signature: given } = request.query;
  if (!encrypted || !signatureMatches(signatureOf(account.token, timestamp, nonce, encrypted), given)) {
    throw new CodedError('SIGNATURE_INVALID', 'msg_signature is missing or does not match the Encrypt field');
  }
  if (!account.encodingAesKey) {
    throw new CodedError('DECRYPTION_FAILED', 'the push is encrypted: connect the account again with its EncodingAESKey');
  }
  return parseXml(decryptMessage(account.encodingAesKey, account.appId, encrypted));
}

/** The passive reply to `push` with `input`'s text, sealed when the push came in safe mode. */
function replyXml(account: WechatAccount, push: WechatPush, input: PassiveReplyInput, safe: boolean): string {
  const xml = textReplyXml(push, input.content);
  if (!safe || !account.encodingAesKey) return xml;
  return encryptedReplyXml(encryptedReplyFields(account.encodingAesKey, account.appId, account.token, xml));
}

function isReplyInput(value: unknown): value is PassiveReplyInput {
  return typeof (value as PassiveReplyInput | undefined)?.content === 'string';
}

/** `step`'s result; its Redis failure as REDIS_UNREACHABLE (503: WeChat tries again). */
async function redis<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new CodedError('REDIS_UNREACHABLE', 'Redis is unreachable; the push was not queued', { cause: error });
  }
}
