import { Inject, Injectable, Logger } from '@nestjs/common';
import { ErrorCode, type WebAPIPlatformError } from '@slack/web-api';
import { APP_CONFIG, STATE_TTL_MS, StateError, loadMasterKey, signState, stateKey, verifyState, type AppConfig } from '@openflows/common';
import { SlackWorkspacesService, credentialsOf } from './slack-workspaces.service';
import { createWebClient } from './web-client';

/** Bot scopes the platform asks for: read channel and DM messages, mentions, users; post messages; slash commands. */
export const SLACK_BOT_SCOPES = [
  'channels:history',
  'channels:read',
  'chat:write',
  'commands',
  'groups:history',
  'im:history',
  'app_mentions:read',
  'users:read',
] as const;

/** `state` purpose of the Slack install flow (see signState). */
const STATE_PURPOSE = 'slack';

/** Why a Slack installation could not be completed; `status` is the HTTP answer to the browser. */
export class SlackOAuthError extends Error {
  constructor(
    readonly code: 'NOT_CONFIGURED' | 'STATE_INVALID' | 'STATE_EXPIRED' | 'ACCESS_DENIED' | 'OAUTH_REFUSED' | 'WORKSPACE_TAKEN',
    readonly status: 400 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** The query Slack sends back to the redirect URL: `code` and `state`, or `error` when the user cancelled. */
export interface SlackCallbackQuery {
  code?: string;
  state?: string;
  error?: string;
}

/**
 * Slack's OAuth v2 install flow: the authorize URL with a signed, expiring `state`, and the callback
 * that exchanges the code with `oauth.v2.access` and stores the workspace. The authorize page is on
 * the same host as the Web API (`SLACK_API_URL` minus `/api/`), so the tests' stand-in serves both.
 */
@Injectable()
export class SlackOAuthService {
  private readonly logger = new Logger(SlackOAuthService.name);
  private readonly stateKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly workspaces: SlackWorkspacesService,
  ) {
    this.stateKey = stateKey(loadMasterKey(config));
  }

  /** Where the callback is: `${PUBLIC_URL}/connect/slack/callback` (set it as the app's redirect URL). */
  get redirectUri(): string {
    return `${this.config.publicUrl}/connect/slack/callback`;
  }

  /**
   * The URL that sends a user to Slack's install page; its state names `userId`, who will own the workspace.
   * @throws SlackOAuthError NOT_CONFIGURED without SLACK_CLIENT_ID/SECRET.
   */
  authorizeUrl(userId: string, now = Date.now()): string {
    const clientId = this.clientCredentials().clientId;
    const url = new URL('../oauth/v2/authorize', this.config.slack.apiUrl);
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('scope', SLACK_BOT_SCOPES.join(','));
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('state', signState(this.stateKey, STATE_PURPOSE, now, STATE_TTL_MS, userId));
    return url.toString();
  }

  /**
   * Completes an install: checks `state`, exchanges `code` with `oauth.v2.access` and stores the
   * workspace (team id and name, bot user id, sealed bot token and, with token rotation, refresh token)
   * as a connection of the user the state names.
   * @returns the team name, for the success page, and the user who now owns the workspace.
   * @throws SlackOAuthError for a forged or expired state, a cancelled install, a code Slack refuses,
   *   or a workspace another user connected already.
   */
  async complete(query: SlackCallbackQuery): Promise<{ teamName: string; ownerId: string }> {
    const { clientId, clientSecret } = this.clientCredentials();
    let userId: string;
    try {
      userId = verifyState(this.stateKey, STATE_PURPOSE, query.state);
      if (!userId) throw new StateError('STATE_INVALID', 'state names no user');
    } catch (error) {
      if (error instanceof StateError) throw new SlackOAuthError(error.code, 400, error.message);
      throw error;
    }
    if (query.error) throw new SlackOAuthError('ACCESS_DENIED', 400, `Slack did not install the app: ${query.error}`);
    if (!query.code) throw new SlackOAuthError('OAUTH_REFUSED', 400, 'Slack sent no code');
    let granted;
    try {
      granted = await createWebClient(this.config).oauth.v2.access({
        client_id: clientId,
        client_secret: clientSecret,
        code: query.code,
        redirect_uri: this.redirectUri,
      });
    } catch (error) {
      if ((error as WebAPIPlatformError).code === ErrorCode.PlatformError) {
        throw new SlackOAuthError('OAUTH_REFUSED', 400, `Slack refused the code: ${(error as WebAPIPlatformError).data.error}`);
      }
      throw error;
    }
    const team = granted.team;
    if (!team?.id || !granted.access_token || !granted.bot_user_id) {
      throw new SlackOAuthError('OAUTH_REFUSED', 400, 'oauth.v2.access granted no bot token for a team');
    }
    const teamName = team.name ?? team.id;
    const known = await this.workspaces.find(team.id);
    if (known?.ownerId && known.ownerId !== userId) {
      throw new SlackOAuthError('WORKSPACE_TAKEN', 409, `Slack workspace ${teamName} is connected by another user`);
    }
    await this.workspaces.save(userId, team.id, teamName, granted.bot_user_id, credentialsOf(granted));
    this.logger.log(`Slack workspace ${team.id} (${teamName}) connected`);
    return { teamName, ownerId: userId };
  }

  private clientCredentials(): { clientId: string; clientSecret: string } {
    const { clientId, clientSecret } = this.config.slack;
    if (!clientId || !clientSecret) {
      throw new SlackOAuthError('NOT_CONFIGURED', 503, 'Slack is not configured on this platform (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)');
    }
    return { clientId, clientSecret };
  }
}
