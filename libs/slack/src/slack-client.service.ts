import { Inject, Injectable } from '@nestjs/common';
import type { WebClient } from '@slack/web-api';
import { APP_CONFIG, type AppConfig } from '@openflows/common';
import { SlackWorkspacesService, type SlackWorkspace } from './slack-workspaces.service';
import { createWebClient } from './web-client';

/** How long a channel's name is trusted after `conversations.info` (ms); renames show up after it. */
const CHANNEL_NAME_TTL_MS = 5 * 60 * 1000;

/** A workspace's WebClient with who the bot is there. */
export interface SlackSession {
  client: WebClient;
  teamId: string;
  teamName: string;
  botUserId: string | null;
  /** The user who connected the workspace (see SlackWorkspace). */
  ownerId: string | null;
}

/**
 * WebClients authenticated as a workspace's bot (one per token, reused across runs) and channel
 * names, for routing by name. Honours `SLACK_API_URL`.
 */
@Injectable()
export class SlackClientService {
  private readonly clients = new Map<string, WebClient>();
  private readonly channelNames = new Map<string, { name: string | undefined; until: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly workspaces: SlackWorkspacesService,
  ) {}

  /**
   * The bot's client for a team.
   * @throws SdkError SLACK_NOT_CONNECTED when the team is not connected or is revoked.
   */
  async sessionFor(teamId: string): Promise<SlackSession> {
    const workspace = await this.workspaces.workspace(teamId);
    const { teamName, botUserId, ownerId } = workspace;
    return { client: this.clientOf(workspace), teamId, teamName, botUserId, ownerId };
  }

  /**
   * A channel's name (without `#`) from `conversations.info`, cached per process for five minutes;
   * undefined when Slack does not tell (no access, DMs have none).
   */
  async channelName(session: SlackSession, channelId: string): Promise<string | undefined> {
    const key = `${session.teamId}/${channelId}`;
    const cached = this.channelNames.get(key);
    if (cached && cached.until > Date.now()) return cached.name;
    let name: string | undefined;
    try {
      const info = await session.client.conversations.info({ channel: channelId });
      name = info.channel?.name;
    } catch {
      // Routing by id still works; a name we cannot read only means name subscriptions miss.
      name = undefined;
    }
    this.channelNames.set(key, { name, until: Date.now() + CHANNEL_NAME_TTL_MS });
    return name;
  }

  private clientOf(workspace: SlackWorkspace): WebClient {
    // Keyed by token: a rotated or re-installed token gets a new client; the old one is dropped.
    let client = this.clients.get(workspace.teamId);
    if (!client || client.token !== workspace.botToken) {
      client = createWebClient(this.config, workspace.botToken);
      this.clients.set(workspace.teamId, client);
    }
    return client;
  }
}
