import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Api } from 'grammy';
import { APP_CONFIG, CodedError, decrypt, encrypt, loadMasterKey, type AppConfig, type StoredConnection } from '@openflows/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { TELEGRAM_EVENT_NAMES } from './envelope';
import { telegramApi, telegramFailure } from './telegram-api';

/** What connecting a bot keeps sealed in `connections.credentials`. */
export interface TelegramCredentials {
  botToken: string;
  /** The `secret_token` given to `setWebhook`: Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token`. */
  webhookSecret: string;
}

/** A connected bot, with its credentials opened. */
export interface TelegramBot {
  connection: Connection;
  credentials: TelegramCredentials;
}

/**
 * A bot token as @BotFather issues it: `<bot id>:<secret>` (e.g. `123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11`).
 * Checked before it goes into the Bot API's URL path (`/bot<token>/<method>`).
 */
const BOT_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{20,100}$/;

/** The connection kind of a Telegram bot. */
const KIND = 'bot';

/**
 * Telegram bots connected with their token: `connect` checks the token with `getMe`, stores the bot
 * (its credentials sealed with AES-256-GCM under the master key, bound to the bot id) and registers
 * the webhook with `setWebhook`; `disconnect` removes it. Webhook URL:
 * `<PUBLIC_URL>/webhooks/telegram/<connection id>`.
 */
@Injectable()
export class TelegramConnectionsService {
  private readonly logger = new Logger(TelegramConnectionsService.name);
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
  ) {
    this.key = loadMasterKey(config);
  }

  /**
   * `POST /api/connections/telegram { botToken }`: connects the bot of `botToken` for `ownerId` (a
   * reconnect by the same owner replaces the token and the webhook secret), then registers the webhook
   * with a new random `secret_token` and `allowed_updates` message, edited_message, callback_query.
   * @returns the connection's id.
   * @throws CodedError CONNECT_INVALID (no token of the BotFather shape), CREDENTIALS_INVALID (Telegram
   *   refuses the token), CONNECTION_TAKEN (another user connected that bot), VENDOR_FAILED (Telegram
   *   unreachable, or refusing the webhook: the connection is kept with status `error`, reason `webhook_failed`).
   */
  async connect(ownerId: string, body: unknown): Promise<{ connectionId: string }> {
    const botToken = tokenOf(body);
    const api = telegramApi(this.config, botToken);
    const bot = await this.whoIs(api);
    const botId = String(bot.id);
    const credentials: TelegramCredentials = { botToken, webhookSecret: randomBytes(32).toString('base64url') };
    const connection = await this.connections.upsertOwnedAccount({
      provider: 'telegram',
      kind: KIND,
      externalId: botId,
      accountLogin: bot.username,
      botUserId: botId,
      credentials: this.seal(botId, credentials),
      ownerId,
    });
    if (!connection) throw new CodedError('CONNECTION_TAKEN', `the Telegram bot @${bot.username} is connected by another user`);
    await this.registerWebhook(api, connection, credentials.webhookSecret);
    this.logger.log(`Telegram bot @${bot.username} (${botId}) connected; webhook registered`);
    return { connectionId: connection.id };
  }

  /** Removes the bot's webhook with `deleteWebhook`, before its connection is deleted. Best effort: a failure is logged. */
  async disconnect(connection: StoredConnection): Promise<void> {
    try {
      const { botToken } = this.open(connection);
      await telegramApi(this.config, botToken).deleteWebhook();
    } catch (error) {
      this.logger.warn(
        `could not remove the webhook of Telegram bot ${connection.externalId}: ${telegramFailure(error)?.message ?? String(error)}`,
      );
    }
  }

  /** The bot of a connection id (its webhook's path), with its credentials; undefined for any other id. */
  async byConnectionId(connectionId: string): Promise<TelegramBot | undefined> {
    const connection = await this.connections.findById(connectionId);
    if (!connection || connection.provider !== 'telegram' || connection.kind !== KIND || !connection.credentials) return undefined;
    return { connection, credentials: this.open(connection) };
  }

  /** The connection of the bot with user id `botId`, whatever its owner and status. */
  async byBotId(botId: string): Promise<Connection | undefined> {
    return this.connections.findAccount('telegram', KIND, botId);
  }

  /** The active owner's bots, by id and username (lower-case), as `telegram.chat(account, …)` names them. */
  async accountNames(ownerId: string): Promise<Set<string>> {
    const active = (await this.connections.list(ownerId)).filter((c) => c.provider === 'telegram' && c.status === 'active');
    return new Set(active.flatMap((c) => [c.externalId, c.accountLogin.toLowerCase()]));
  }

  /** grammY's `Api` authenticated as the bot of `connection`. */
  api(connection: StoredConnection): Api {
    return telegramApi(this.config, this.open(connection).botToken);
  }

  /** The bot behind the token (`getMe`). @throws CodedError CREDENTIALS_INVALID, VENDOR_FAILED */
  private async whoIs(api: Api): Promise<{ id: number; username: string }> {
    try {
      const me = await api.getMe();
      return { id: me.id, username: me.username };
    } catch (error) {
      const failure = telegramFailure(error);
      if (!failure) throw error;
      // 401 Unauthorized for a revoked or made-up token; 404 Not Found for one Telegram cannot parse.
      if (failure.status === 401 || failure.status === 404) {
        throw new CodedError('CREDENTIALS_INVALID', `Telegram refused the bot token (getMe: ${failure.message})`);
      }
      throw new CodedError('VENDOR_FAILED', `Telegram could not check the bot token (getMe: ${failure.message})`, { cause: error });
    }
  }

  /** `setWebhook` for the connection; on failure the connection keeps status `error` and reason `webhook_failed`. */
  private async registerWebhook(api: Api, connection: Connection, secret: string): Promise<void> {
    const url = `${this.config.publicUrl}/webhooks/telegram/${connection.id}`;
    try {
      await api.setWebhook(url, { secret_token: secret, allowed_updates: [...TELEGRAM_EVENT_NAMES] });
    } catch (error) {
      const failure = telegramFailure(error);
      if (!failure) throw error;
      await this.connections.setStatusById(connection.id, 'error', 'webhook_failed');
      throw new CodedError('VENDOR_FAILED', `Telegram refused the webhook ${url} (setWebhook: ${failure.message})`, { cause: error });
    }
  }

  private seal(botId: string, credentials: TelegramCredentials): string {
    return encrypt(this.key, JSON.stringify(credentials), `telegram:${botId}`);
  }

  private open(connection: StoredConnection): TelegramCredentials {
    if (!connection.credentials) throw new CodedError('CONNECTION_NOT_FOUND', `Telegram bot ${connection.externalId} has no credentials`);
    return JSON.parse(decrypt(this.key, connection.credentials, `telegram:${connection.externalId}`)) as TelegramCredentials;
  }
}

/** `body.botToken`, checked against the BotFather shape. @throws CodedError CONNECT_INVALID */
function tokenOf(body: unknown): string {
  const token = body && typeof body === 'object' ? (body as { botToken?: unknown }).botToken : undefined;
  if (typeof token !== 'string' || !BOT_TOKEN.test(token.trim())) {
    throw new CodedError(
      'CONNECT_INVALID',
      'botToken must be the bot token @BotFather gave, such as 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11',
    );
  }
  return token.trim();
}
