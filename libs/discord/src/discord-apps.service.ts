import { Inject, Injectable } from '@nestjs/common';
import { Routes, type APIUser, type RESTGetCurrentApplicationResult } from 'discord.js';
import { APP_CONFIG, CodedError, decrypt, encrypt, loadMasterKey, type AppConfig, type StoredConnection } from '@openflows/common';
import { ConnectionsRepository, type Connection } from '@openflows/db';
import { createDiscordRest, statusOf } from './discord-rest';

/** The connections of Discord applications: provider `discord`, kind `app`, external id = application id. */
export const DISCORD = { provider: 'discord', kind: 'app' } as const;

/** What connecting an application keeps sealed in `connections.credentials`. */
export interface DiscordCredentials {
  botToken: string;
  /** The application's Ed25519 public key (hex), which interactions are verified with. Public, sealed for simplicity. */
  publicKey: string;
}

/** A connected application with its opened credentials. */
export interface DiscordApplication extends DiscordCredentials {
  connectionId: string;
  applicationId: string;
  /** The application's name (`connections.account_login`). */
  name: string;
  botUserId: string | null;
  ownerId: string | null;
  status: string;
}

/** The body of `POST /api/connections/discord`, as the Developer Portal shows the three values. */
export interface DiscordConnectBody {
  applicationId: string;
  publicKey: string;
  botToken: string;
}

const SNOWFLAKE = /^\d{17,20}$/;
const PUBLIC_KEY = /^[0-9a-fA-F]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The body's three fields, checked for shape (a snowflake, 64 hex digits, a token).
 * @throws CodedError CONNECT_INVALID naming what is wrong.
 */
export function connectBody(body: unknown): DiscordConnectBody {
  const fields = (body ?? {}) as Record<string, unknown>;
  const { applicationId, publicKey, botToken } = fields;
  if (typeof applicationId !== 'string' || !SNOWFLAKE.test(applicationId)) {
    throw new CodedError('CONNECT_INVALID', 'applicationId must be the Application ID of the Developer Portal (a number of 17-20 digits)');
  }
  if (typeof publicKey !== 'string' || !PUBLIC_KEY.test(publicKey)) {
    throw new CodedError('CONNECT_INVALID', 'publicKey must be the Public Key of the Developer Portal (64 hex digits)');
  }
  if (typeof botToken !== 'string' || botToken.trim() === '' || /\s/.test(botToken.trim())) {
    throw new CodedError('CONNECT_INVALID', "botToken must be the Bot page's token");
  }
  return { applicationId, publicKey: publicKey.toLowerCase(), botToken: botToken.trim() };
}

/**
 * Discord applications connected with their credentials: checks them with Discord at connect
 * (`GET /applications/@me` and `GET /users/@me` with `Authorization: Bot <token>`), seals them
 * (AES-256-GCM under the master key, bound to the application id) and opens them for the ingress,
 * the registration of commands and runs.
 */
@Injectable()
export class DiscordAppsService {
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: ConnectionsRepository,
  ) {
    this.key = loadMasterKey(config);
  }

  /**
   * Connects the application of `body` for `ownerId` (again: its name, bot and token are replaced).
   * @returns the connection row.
   * @throws CodedError CONNECT_INVALID (shape), CREDENTIALS_INVALID (Discord refused the token, or the
   *   token or public key belong to another application), CONNECTION_TAKEN (another user's),
   *   VENDOR_FAILED (Discord unreachable or failing).
   */
  async connect(ownerId: string, body: unknown): Promise<Connection> {
    const credentials = connectBody(body);
    const { application, bot } = await this.checked(credentials);
    const row = await this.connections.upsertOwnedAccount({
      ...DISCORD,
      externalId: application.id,
      accountLogin: application.name,
      botUserId: bot.id,
      credentials: this.seal(application.id, { botToken: credentials.botToken, publicKey: credentials.publicKey }),
      ownerId,
    });
    if (!row) throw new CodedError('CONNECTION_TAKEN', `Discord application ${application.name} is connected by another user`);
    return row;
  }

  /** The application whose Interactions Endpoint URL is `/webhooks/discord/<connectionId>`; undefined for none. */
  async byConnectionId(connectionId: string): Promise<DiscordApplication | undefined> {
    if (!UUID.test(connectionId)) return undefined;
    const row = await this.connections.findById(connectionId);
    return row && row.provider === DISCORD.provider && row.kind === DISCORD.kind ? this.opened(row) : undefined;
  }

  /** The connected application `applicationId`, whatever its owner and status; undefined when none is. */
  async byApplicationId(applicationId: string): Promise<DiscordApplication | undefined> {
    const row = await this.connections.findAccount(DISCORD.provider, DISCORD.kind, applicationId);
    return row ? this.opened(row) : undefined;
  }

  /** The owner's active applications. */
  async activeApps(ownerId: string): Promise<DiscordApplication[]> {
    const rows = await this.connections.list(ownerId);
    return rows
      .filter((c) => c.provider === DISCORD.provider && c.kind === DISCORD.kind && c.status === 'active')
      .map((c) => this.opened(c));
  }

  /** Every active application, of every owner (the Gateway holds a connection for each). */
  async allActiveApps(): Promise<DiscordApplication[]> {
    const rows = await this.connections.listAccounts(DISCORD.provider, DISCORD.kind);
    return rows.filter((c) => c.status === 'active').map((c) => this.opened(c));
  }

  /** A connection row with its credentials opened. */
  opened(row: StoredConnection): DiscordApplication {
    const credentials = JSON.parse(decrypt(this.key, row.credentials ?? '', `discord:${row.externalId}`)) as DiscordCredentials;
    return {
      ...credentials,
      connectionId: row.id,
      applicationId: row.externalId,
      name: row.accountLogin,
      botUserId: row.botUserId,
      ownerId: row.ownerId,
      status: row.status,
    };
  }

  /** The application and bot user the token belongs to, checked against the body's id and public key. */
  private async checked(credentials: DiscordConnectBody): Promise<{ application: RESTGetCurrentApplicationResult; bot: APIUser }> {
    const rest = createDiscordRest(this.config, credentials.botToken);
    let application: RESTGetCurrentApplicationResult;
    let bot: APIUser;
    try {
      application = (await rest.get(Routes.currentApplication())) as RESTGetCurrentApplicationResult;
      bot = (await rest.get(Routes.user())) as APIUser;
    } catch (error) {
      if (statusOf(error) === 401) throw new CodedError('CREDENTIALS_INVALID', 'Discord refused the bot token (401)');
      throw new CodedError('VENDOR_FAILED', 'Discord could not check the bot token; try again later', { cause: error });
    }
    if (application.id !== credentials.applicationId) {
      throw new CodedError(
        'CREDENTIALS_INVALID',
        `the bot token belongs to application ${application.id}, not ${credentials.applicationId}`,
      );
    }
    if (application.verify_key.toLowerCase() !== credentials.publicKey) {
      throw new CodedError(
        'CREDENTIALS_INVALID',
        `the public key is not application ${application.id}'s (General Information → Public Key)`,
      );
    }
    return { application, bot };
  }

  private seal(applicationId: string, credentials: DiscordCredentials): string {
    return encrypt(this.key, JSON.stringify(credentials), `discord:${applicationId}`);
  }
}
