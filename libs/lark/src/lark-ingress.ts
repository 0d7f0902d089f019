import { Injectable } from '@nestjs/common';
import { CodedError, type AcceptEvent, type IngressAnswer, type IngressRequest, type ProviderIngress } from '@openflows/common';
import { MESSAGE_RECEIVED, messageEnvelope, readCallback } from './envelope';
import { LarkConnectionsService, type LarkApp } from './lark-connections.service';
import { decryptBody, signatureMatches, tokenMatches } from './lark-verification';

/**
 * `POST /webhooks/lark/<connection id>`: the request URL of one app's event subscription (v2), each app
 * its own URL because each has its own Encrypt Key and Verification Token. In order:
 * 1. `X-Lark-Signature`, when present, must be sha256(timestamp + nonce + Encrypt Key + raw body);
 * 2. an `{ encrypt }` body is decrypted with the Encrypt Key (a plain body is read as it is: apps
 *    without an Encrypt Key, and the challenge sent before one was set);
 * 3. the Verification Token inside (`header.token` for schema 2.0, `token` otherwise) must be the app's,
 *    always, and a 2.0 event's `header.app_id` the connection's app.
 * Then `url_verification` is answered `{ challenge }` (plain, also for an encrypted request), and
 * `im.message.receive_v1` is recorded as a `message` event and answered once queued (Lark retries what
 * is not answered 200 within 3 s, with the same `event_id`). Every other event type (reactions, chat
 * member changes, read receipts, schema 1.0 events) is acknowledged and not recorded: flows listen to
 * chats through `lark.chat(…)` and its `message` events only, so such an event would reach no flow.
 * No replay window on `X-Lark-Request-Timestamp`: Lark retries for up to ~7 hours, and a replayed event
 * is a duplicate of its `event_id` anyway.
 */
@Injectable()
export class LarkIngress implements ProviderIngress {
  constructor(private readonly apps: LarkConnectionsService) {}

  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const app = await this.apps.find(request.path);
    if (!app) throw new CodedError('CONNECTION_NOT_FOUND', `no Feishu/Lark connection ${request.path}`);
    if (request.method !== 'POST') throw new CodedError('DELIVERY_MALFORMED', 'Lark posts its callbacks');
    const callback = readCallback(this.opened(request, app));
    if (!tokenMatches(callback.token, app.secrets.verificationToken)) {
      throw new CodedError('SIGNATURE_INVALID', 'the verification token is missing or not the one of this connection');
    }
    switch (callback.kind) {
      case 'url_verification':
        return { status: 200, body: { challenge: callback.challenge } };
      case 'other':
        return { status: 200, body: { status: 'ignored' } };
      case 'event':
        if (callback.appId !== app.appId) {
          throw new CodedError('DELIVERY_MALFORMED', `an event of app ${String(callback.appId)} reached the connection of ${app.appId}`);
        }
        if (callback.type !== MESSAGE_RECEIVED) return { status: 200, body: { status: 'ignored' } };
        return { status: 200, body: await accept(messageEnvelope(callback.body)) };
    }
  }

  /**
   * The body, signature checked and decrypted.
   * @throws CodedError SIGNATURE_INVALID (a signature that does not match, or one without an Encrypt Key
   *   to check it with), BODY_MALFORMED (not JSON), DECRYPTION_FAILED (`encrypt` without a key, or that
   *   does not decrypt).
   */
  private opened(request: IngressRequest, app: LarkApp): unknown {
    const { encryptKey } = app.secrets;
    const signature = request.headers['x-lark-signature'];
    if (signature !== undefined) {
      const headers = { timestamp: request.headers['x-lark-request-timestamp'], nonce: request.headers['x-lark-request-nonce'], signature };
      if (!encryptKey || !signatureMatches(headers, request.raw, encryptKey)) {
        throw new CodedError('SIGNATURE_INVALID', 'X-Lark-Signature does not match the body and the Encrypt Key of this connection');
      }
    }
    let body: unknown;
    try {
      body = JSON.parse(request.raw.toString('utf8'));
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    const encrypted = (body as { encrypt?: unknown } | null)?.encrypt;
    if (encrypted === undefined) return body;
    if (typeof encrypted !== 'string' || !encryptKey) {
      throw new CodedError('DECRYPTION_FAILED', 'the body is encrypted, and this connection has no Encrypt Key (connect again with it)');
    }
    return decryptBody(encrypted, encryptKey);
  }
}
