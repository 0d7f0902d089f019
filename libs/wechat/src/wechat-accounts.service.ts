import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, CodedError, decrypt, encrypt, loadMasterKey, type AppConfig, type ConnectResult } from '@openflows/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { WechatAccessTokens } from './wechat-access-tokens.service';
import { WechatApi, WechatApiError } from './wechat-api';
import { isEncodingAesKey } from './wechat-crypto';

/** `connections.kind` of an Official Account. */
export const ACCOUNT_KIND = 'account';

/** What an account is connected with, kept sealed in `connections.credentials` (bound to the AppID). */
export interface WechatCredentials {
  appSecret: string;
  /** The Token of the server configuration: the key of the request signatures. */
  token: string;
  /** The EncodingAESKey (43 characters), for the compatible and safe modes; none in plaintext mode. */
  encodingAesKey?: string;
}

/** A connected account as the ingress and runs use it. */
export interface WechatAccount extends WechatCredentials {
  connectionId: string;
  appId: string;
  /** `accountLogin`: what flows may name the account by besides its AppID. */
  name: string;
  ownerId: string | null;
  status: string;
}

/** The body of `POST /api/connections/wechat`, with the console's own rules (Basic configuration page). */
const connectBody = z.object({
  appId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'the AppID (wx…) from Basic configuration'),
  appSecret: z.string().min(1, 'the AppSecret from Basic configuration'),
  token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'the Token of the server configuration: 3 to 32 letters or digits'),
  encodingAesKey: z.string().refine(isEncodingAesKey, 'the EncodingAESKey of the server configuration: 43 letters or digits').optional(),
});

/**
 * Official Accounts connected with their AppID and AppSecret: checks them by getting an access token,
 * stores the connection (kind `account`, `externalId` = AppID, `accountLogin` = AppID: the token API
 * tells no name) with AppSecret, Token and EncodingAESKey sealed under the master key, and opens them
 * again for the ingress and for runs.
 */
@Injectable()
export class WechatAccountsService {
  private readonly logger = new Logger(WechatAccountsService.name);
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
    private readonly api: WechatApi,
    private readonly tokens: WechatAccessTokens,
  ) {
    this.key = loadMasterKey(config);
  }

  /**
   * `POST /api/connections/wechat { appId, appSecret, token, encodingAesKey? }`. @returns the connection
   * and the server URL to paste into the console, `<PUBLIC_URL>/webhooks/wechat/<connection id>`.
   * @throws CodedError CONNECT_INVALID (the body), CREDENTIALS_INVALID (WeChat refused the AppID and
   *   AppSecret; `details` has its errcode and errmsg), CONNECTION_TAKEN (another user's account),
   *   VENDOR_FAILED (WeChat unreachable).
   */
  async connect(ownerId: string, body: unknown): Promise<ConnectResult> {
    const parsed = connectBody.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
      throw new CodedError('CONNECT_INVALID', `POST /api/connections/wechat needs ${problems.join('; ')}`);
    }
    const { appId, appSecret, token, encodingAesKey } = parsed.data;
    const granted = await this.check(appId, appSecret);
    const credentials: WechatCredentials = { appSecret, token, ...(encodingAesKey ? { encodingAesKey } : {}) };
    const row = await this.connections.upsertOwnedAccount({
      provider: 'wechat',
      kind: ACCOUNT_KIND,
      externalId: appId,
      accountLogin: appId,
      credentials: this.seal(appId, credentials),
      ownerId,
    });
    if (!row) throw new CodedError('CONNECTION_TAKEN', `the Official Account ${appId} is connected by another user`);
    await this.tokens.store(appId, granted);
    this.logger.log(`WeChat Official Account ${appId} connected (${encodingAesKey ? 'with' : 'without'} an EncodingAESKey)`);
    return { connectionId: row.id, webhookUrl: this.serverUrl(row.id) };
  }

  /** The URL to paste as the server URL (URL(服务器地址)) of the account's server configuration. */
  serverUrl(connectionId: string): string {
    return `${this.config.publicUrl}/webhooks/wechat/${connectionId}`;
  }

  /** The account a connection row is, credentials opened; undefined for a row that is no WeChat account. */
  accountOf(row: Connection | undefined): WechatAccount | undefined {
    if (!row || row.provider !== 'wechat' || row.kind !== ACCOUNT_KIND || !row.credentials) return undefined;
    return {
      ...this.open(row.externalId, row.credentials),
      connectionId: row.id,
      appId: row.externalId,
      name: row.accountLogin,
      ownerId: row.ownerId,
      status: row.status,
    };
  }

  /** The account behind the server URL `/webhooks/wechat/<connection id>`; undefined when there is none. */
  async byConnectionId(connectionId: string): Promise<WechatAccount | undefined> {
    if (!UUID.test(connectionId)) return undefined;
    return this.accountOf(await this.connections.findById(connectionId));
  }

  /** The account of an AppID, whatever its owner and status; undefined when it is not connected. */
  async byAppId(appId: string): Promise<WechatAccount | undefined> {
    return this.accountOf(await this.connections.findAccount('wechat', ACCOUNT_KIND, appId));
  }

  /** A granted token proves the AppID and AppSecret. */
  private async check(appId: string, appSecret: string) {
    try {
      return await this.api.grantToken(appId, appSecret);
    } catch (error) {
      if (error instanceof WechatApiError && error.errcode > 0) {
        const hint = error.errcode === 40164 ? ": add this server's outgoing IP to the account's IP allow-list" : '';
        throw new CodedError('CREDENTIALS_INVALID', `WeChat refused the AppID and AppSecret (errcode ${error.errcode}${hint})`, {
          details: { errcode: error.errcode, errmsg: error.errmsg },
        });
      }
      throw new CodedError('VENDOR_FAILED', 'WeChat could not be reached to check the AppID and AppSecret', { cause: error });
    }
  }

  private seal(appId: string, credentials: WechatCredentials): string {
    return encrypt(this.key, JSON.stringify(credentials), `wechat:${appId}`);
  }

  private open(appId: string, sealed: string): WechatCredentials {
    return JSON.parse(decrypt(this.key, sealed, `wechat:${appId}`)) as WechatCredentials;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
