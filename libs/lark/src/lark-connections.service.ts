import { Inject, Injectable, Logger } from '@nestjs/common';
import { withTenantToken, type Client } from '@larksuiteoapi/node-sdk';
import { APP_CONFIG, CodedError, decrypt, encrypt, loadMasterKey, type AppConfig, type ConnectResult } from '@openflows/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { LARK_DOMAINS, createLarkClient, type LarkDomain } from './lark-client';
import { describeAnswer, larkFailure, succeeded } from './lark-errors';

/** What is kept sealed in `connections.credentials` for an app. */
export interface LarkSecrets {
  appSecret: string;
  /** The Encrypt Key of the app's event subscription; none when the app sends plain bodies. */
  encryptKey?: string;
  verificationToken: string;
  domain: LarkDomain;
}

/** A connected app as the ingress, routing and runs use it. */
export interface LarkApp {
  connectionId: string;
  appId: string;
  /** The bot's name (`app_name` of `bot/v3/info`): the account flows name in `lark.chat`. */
  botName: string;
  /** The bot's open id: messages it sent are never routed. */
  botOpenId: string | null;
  ownerId: string | null;
  status: string;
  secrets: LarkSecrets;
}

/** `POST /api/connections/lark`'s body (the card's fields). */
interface ConnectBody {
  appId: string;
  appSecret: string;
  encryptKey?: string;
  verificationToken: string;
  domain: LarkDomain;
}

/** `/open-apis/auth/v3/tenant_access_token/internal`'s answer: flat, not under `data` (the SDK's token manager reads it so). */
interface TokenAnswer {
  code?: unknown;
  tenant_access_token?: unknown;
}

/** `/open-apis/bot/v3/info`'s answer: the bot at the top level. */
interface BotInfoAnswer {
  code?: unknown;
  bot?: { open_id?: unknown; app_name?: unknown };
}

const KIND = 'app';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Feishu/Lark app connections: connecting with app id and secret (checked with a tenant access token
 * and `bot/v3/info`), the sealed secrets (AES-256-GCM under the master key, bound to the app id), and
 * one SDK Client per connection, reused across runs so its token cache serves them all.
 */
@Injectable()
export class LarkConnectionsService {
  private readonly logger = new Logger(LarkConnectionsService.name);
  private readonly key: Buffer;
  private readonly clients = new Map<string, { credentials: string; client: Client }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
  ) {
    this.key = loadMasterKey(config);
  }

  /**
   * `POST /api/connections/lark { appId, appSecret, encryptKey?, verificationToken, domain }`: checks the
   * credentials with the Open Platform, stores the app as a connection of `ownerId` (`kind` app,
   * `externalId` the app id, `accountLogin` the bot's name, `botUserId` its open id; a reconnect keeps the
   * row and its webhook URL) and answers the URL to paste as the event subscription's request URL.
   * @throws CodedError CONNECT_INVALID (a field missing or wrong), CREDENTIALS_INVALID (Lark refused the
   *   app id and secret, or the app has no bot), CONNECTION_TAKEN (another user connected the app),
   *   VENDOR_FAILED (Lark unreachable or failing).
   */
  async connect(ownerId: string, body: unknown): Promise<ConnectResult> {
    const { appId, appSecret, encryptKey, verificationToken, domain } = connectBody(body);
    // The check asks for the token itself: the SDK's token manager reports Lark's refusals as plain errors.
    const checking = createLarkClient(this.config, { appId, appSecret, domain }, { manageToken: false });
    const bot = await this.identify(checking, appId, appSecret);
    const secrets: LarkSecrets = { appSecret, verificationToken, domain, ...(encryptKey ? { encryptKey } : {}) };
    const row = await this.connections.upsertOwnedAccount({
      provider: 'lark',
      kind: KIND,
      externalId: appId,
      accountLogin: bot.name,
      botUserId: bot.openId,
      credentials: this.seal(appId, secrets),
      ownerId,
    });
    if (!row) throw new CodedError('CONNECTION_TAKEN', `the app ${appId} is connected by another user`);
    this.logger.log(`Feishu/Lark app ${appId} (${bot.name}) connected`);
    return { connectionId: row.id, webhookUrl: this.webhookUrl(row.id) };
  }

  /** `<PUBLIC_URL>/webhooks/lark/<connection id>`: the request URL of the app's event subscription. */
  webhookUrl(connectionId: string): string {
    return `${this.config.publicUrl}/webhooks/lark/${connectionId}`;
  }

  /** The app connected as `connectionId` (any status); undefined for another provider's or an unknown id. */
  async find(connectionId: string): Promise<LarkApp | undefined> {
    if (!UUID.test(connectionId)) return undefined;
    const row = await this.connections.findById(connectionId);
    return row?.provider === 'lark' && row.kind === KIND ? this.appOf(row) : undefined;
  }

  /** The connection of app `appId` (any status), if it was ever connected. */
  async findByAppId(appId: string): Promise<LarkApp | undefined> {
    const row = await this.connections.findAccount('lark', KIND, appId);
    return row ? this.appOf(row) : undefined;
  }

  /** The SDK Client of a connected app; a new one once its credentials changed (a reconnect). */
  clientOf(app: LarkApp): Client {
    const credentials = JSON.stringify(app.secrets);
    const cached = this.clients.get(app.connectionId);
    if (cached?.credentials === credentials) return cached.client;
    const client = createLarkClient(this.config, { appId: app.appId, appSecret: app.secrets.appSecret, domain: app.secrets.domain });
    this.clients.set(app.connectionId, { credentials, client });
    return client;
  }

  /**
   * The bot of the app, from a tenant access token and `GET /open-apis/bot/v3/info`.
   * @throws CodedError CREDENTIALS_INVALID, VENDOR_FAILED
   */
  private async identify(client: Client, appId: string, appSecret: string): Promise<{ name: string; openId: string }> {
    const token = await vendorCall<TokenAnswer>('the tenant access token', () =>
      client.auth.v3.tenantAccessToken.internal({ data: { app_id: appId, app_secret: appSecret } }),
    );
    if (!succeeded(token) || typeof token.tenant_access_token !== 'string') {
      throw new CodedError('CREDENTIALS_INVALID', `Lark refused the app id and secret: ${describeAnswer(token)}`);
    }
    const tenantToken = token.tenant_access_token;
    const info = await vendorCall<BotInfoAnswer>("the bot's info", () =>
      client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }, withTenantToken(tenantToken)),
    );
    const openId = info.bot?.open_id;
    if (!succeeded(info) || typeof openId !== 'string' || openId === '') {
      throw new CodedError(
        'CREDENTIALS_INVALID',
        `the app has no bot (enable the Bot feature in the developer console): ${describeAnswer(info)}`,
      );
    }
    return { name: typeof info.bot?.app_name === 'string' && info.bot.app_name !== '' ? info.bot.app_name : appId, openId };
  }

  private appOf(row: Connection): LarkApp {
    return {
      connectionId: row.id,
      appId: row.externalId,
      botName: row.accountLogin,
      botOpenId: row.botUserId,
      ownerId: row.ownerId,
      status: row.status,
      secrets: this.open(row.externalId, row.credentials ?? ''),
    };
  }

  private seal(appId: string, secrets: LarkSecrets): string {
    return encrypt(this.key, JSON.stringify(secrets), `lark:${appId}`);
  }

  private open(appId: string, sealed: string): LarkSecrets {
    return JSON.parse(decrypt(this.key, sealed, `lark:${appId}`)) as LarkSecrets;
  }
}

/**
 * A call to the Open Platform while connecting: Lark's refusals (4xx with its `{code, msg}`) are
 * CREDENTIALS_INVALID, anything else VENDOR_FAILED.
 */
async function vendorCall<T>(what: string, call: () => Promise<unknown>): Promise<T> {
  try {
    return (await call()) as T;
  } catch (error) {
    const failure = larkFailure(error);
    if (failure.status !== undefined && failure.status >= 400 && failure.status < 500) {
      throw new CodedError('CREDENTIALS_INVALID', `Lark refused ${what}: ${failure.message}`);
    }
    throw new CodedError('VENDOR_FAILED', `could not get ${what} from Lark: ${failure.message}`, { cause: error });
  }
}

/** @throws CodedError CONNECT_INVALID naming every field that is missing or wrong. */
function connectBody(body: unknown): ConnectBody {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const given = (name: string) => typeof fields[name] === 'string' && (fields[name] as string).trim() !== '';
  const wrong = ['appId', 'appSecret', 'verificationToken'].filter((name) => !given(name));
  if (fields.encryptKey !== undefined && fields.encryptKey !== '' && !given('encryptKey')) wrong.push('encryptKey');
  if (!LARK_DOMAINS.includes(fields.domain as LarkDomain)) wrong.push(`domain (${LARK_DOMAINS.join(' or ')})`);
  if (wrong.length > 0) throw new CodedError('CONNECT_INVALID', `a Feishu/Lark connection needs ${wrong.join(', ')}`);
  const trimmed = (name: string) => (fields[name] as string).trim();
  return {
    appId: trimmed('appId'),
    appSecret: trimmed('appSecret'),
    verificationToken: trimmed('verificationToken'),
    domain: fields.domain as LarkDomain,
    ...(given('encryptKey') ? { encryptKey: trimmed('encryptKey') } : {}),
  };
}
