import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { CodedError, type EventEnvelope } from '@openflows/common';
import type { EncryptedReply } from './wechat-crypto';

/**
 * A pushed message or event: the children of WeChat's `<xml>` root by element name, every value a
 * string as sent (`MsgId` is a 64-bit integer, too large for a number), nested elements (menu events'
 * `ScanCodeInfo`, …) as objects. Fields per "Receiving standard messages" and "Receiving event pushes":
 * `ToUserName` (the account's original ID, `gh_…`), `FromUserName` (the sender's OpenID),
 * `CreateTime` (seconds), `MsgType` (`text`, `image`, `voice`, `video`, `shortvideo`, `location`,
 * `link`, `event`), then `Content`, `Recognition` (voice, with speech recognition on), `MsgId`,
 * `Event` (`subscribe`, `unsubscribe`, `SCAN`, `CLICK`, …), `EventKey`, ….
 */
export interface WechatPush {
  ToUserName: string;
  FromUserName: string;
  CreateTime: string;
  MsgType: string;
  Content?: string;
  Recognition?: string;
  MsgId?: string;
  Event?: string;
  [field: string]: unknown;
}

// Values stay strings: a MsgId parsed as a number would lose its last digits.
const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: true, ignoreDeclaration: true });
const builder = new XMLBuilder({ cdataPropName: '#cdata' });

/**
 * The children of the `<xml>` root of a push body (UTF-8 XML).
 * @throws CodedError BODY_MALFORMED when it is not XML or has no `<xml>` root.
 */
export function parseXml(raw: string): Record<string, unknown> {
  if (raw.trim() === '' || XMLValidator.validate(raw) !== true) throw new CodedError('BODY_MALFORMED', 'body is not XML');
  let parsed: unknown;
  try {
    parsed = parser.parse(raw);
  } catch {
    throw new CodedError('BODY_MALFORMED', 'body is not XML');
  }
  const root = (parsed as { xml?: unknown }).xml;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new CodedError('BODY_MALFORMED', 'body has no <xml> root');
  return root as Record<string, unknown>;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The fields every push has, checked.
 * @throws CodedError DELIVERY_MALFORMED without ToUserName, FromUserName, CreateTime or MsgType, or an
 *   event without Event.
 */
export function asPush(fields: Record<string, unknown>): WechatPush {
  const required = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'];
  const missing = required.filter((name) => !text(fields[name]));
  if (fields.MsgType === 'event' && !text(fields.Event)) missing.push('Event');
  if (missing.length > 0) throw new CodedError('DELIVERY_MALFORMED', `the push has no ${missing.join(', ')}`);
  return fields as WechatPush;
}

/**
 * What tells a push from its retries (the docs: messages by `MsgId`, events by `FromUserName` +
 * `CreateTime`): the MsgId (events about a sent message carry one as `MsgID`), else
 * `<OpenID>:<CreateTime>:<event>` — the event's name added so that two kinds of event in one second stay apart.
 */
export function dedupKey(push: WechatPush): string {
  const id = text(push.MsgId) ?? text(push.MsgID);
  return id ?? `${push.FromUserName}:${push.CreateTime}:${String(push.Event).toLowerCase()}`;
}

/** The event name flows listen to: `message` for every standard message, the lower-cased `Event` for events (`subscribe`, `scan`, `click`…). */
export function eventNameOf(push: WechatPush): string {
  return push.MsgType === 'event' ? String(push.Event).toLowerCase() : 'message';
}

/**
 * The internal envelope of a verified push to the account `appId`: `deliveryId` =
 * `<AppID>:<dedup key>` (see {@link dedupKey}; WeChat's three tries carry the same, so the events
 * table's unique key drops retries), `name` from {@link eventNameOf}, `action` = `MsgType` for
 * messages (`text`, `voice`…), `target` = `<AppID>/<OpenID>` lower-cased, `conversationKey` =
 * `<AppID>/<OpenID>` (one conversation per follower), `payload` = the push's fields as sent.
 */
export function wechatEnvelope(appId: string, push: WechatPush): EventEnvelope {
  return {
    provider: 'wechat',
    deliveryId: `${appId}:${dedupKey(push)}`,
    name: eventNameOf(push),
    action: push.MsgType === 'event' ? undefined : push.MsgType,
    target: `${appId}/${push.FromUserName}`.toLowerCase(),
    conversationKey: `${appId}/${push.FromUserName}`,
    payload: push,
  };
}

/** The AppID a `wechatEnvelope` delivery id (or its replay's, `<id>:replay:<hex>`) names. */
export function appIdOf(deliveryId: string): string {
  return deliveryId.slice(0, deliveryId.indexOf(':'));
}

/**
 * The passive text reply to `push` (Passive replies page): To/From swapped — `ToUserName` the
 * follower's OpenID, `FromUserName` the account — `CreateTime` in seconds, `MsgType` text, `Content`.
 */
export function textReplyXml(push: WechatPush, content: string, now = Date.now()): string {
  return builder.build({
    xml: {
      ToUserName: { '#cdata': push.FromUserName },
      FromUserName: { '#cdata': push.ToUserName },
      CreateTime: Math.floor(now / 1000),
      MsgType: { '#cdata': 'text' },
      Content: { '#cdata': content },
    },
  }) as string;
}

/** A passive reply in safe mode: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>` (node-webot/wechat's element names). */
export function encryptedReplyXml(reply: EncryptedReply): string {
  return builder.build({
    xml: {
      Encrypt: { '#cdata': reply.Encrypt },
      MsgSignature: { '#cdata': reply.MsgSignature },
      TimeStamp: reply.TimeStamp,
      Nonce: { '#cdata': reply.Nonce },
    },
  }) as string;
}
