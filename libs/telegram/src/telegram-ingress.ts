import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CodedError, type AcceptEvent, type IngressAnswer, type IngressRequest, type ProviderIngress } from '@openflows/common';
import { parseTelegramUpdate } from './envelope';
import { TelegramConnectionsService } from './telegram-connections.service';

/** A connection id as the webhook path carries it (the table's uuid). */
const CONNECTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Timing-safe comparison of the header with the secret: both are hashed first so that neither their
 * length nor their bytes show in how long the comparison takes.
 */
function secretMatches(received: string | undefined, secret: string): boolean {
  if (received === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(received), digest(secret));
}

/**
 * `POST /webhooks/telegram/<connection id>`: the updates Telegram posts to the webhook the platform
 * registered for that bot (see TelegramConnectionsService.connect). Telegram signs nothing: the check
 * is the `X-Telegram-Bot-Api-Secret-Token` header against the connection's `secret_token`. `message`,
 * `edited_message` and `callback_query` are recorded as events; other update kinds are acknowledged
 * and dropped. Answers 200 as soon as the event is queued: Telegram repeats what is not answered 2xx.
 */
@Injectable()
export class TelegramIngress implements ProviderIngress {
  constructor(private readonly bots: TelegramConnectionsService) {}

  /**
   * @throws CodedError `SIGNATURE_INVALID` (401) when the header is missing or wrong, or the path names
   *   no Telegram connection (nothing queued then); `BODY_MALFORMED` (400) for a body that is not JSON;
   *   `DELIVERY_MALFORMED` (400) for JSON that is no Update.
   */
  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const botId = await this.verifiedBot(request);
    let body: unknown;
    try {
      body = JSON.parse(request.raw.toString('utf8'));
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    const parsed = parseTelegramUpdate(botId, body);
    if (parsed.kind === 'ignored') return { status: 200, body: { status: 'ignored', reason: parsed.reason } };
    return { status: 200, body: await accept(parsed.envelope) };
  }

  /** The bot id of the connection the request's path names, once its secret matches. @throws CodedError SIGNATURE_INVALID */
  private async verifiedBot(request: IngressRequest): Promise<string> {
    const refused = () => new CodedError('SIGNATURE_INVALID', 'X-Telegram-Bot-Api-Secret-Token is missing or does not match this webhook');
    if (request.method !== 'POST' || !CONNECTION_ID.test(request.path)) throw refused();
    const bot = await this.bots.byConnectionId(request.path);
    if (!bot || !secretMatches(request.headers['x-telegram-bot-api-secret-token'], bot.credentials.webhookSecret)) throw refused();
    return bot.connection.externalId;
  }
}
