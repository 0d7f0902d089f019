import { Module } from '@nestjs/common';
import { SlackAdapter } from './slack.adapter';
import { SlackClientService } from './slack-client.service';
import { SlackOAuthService } from './slack-oauth.service';
import { SlackRoutingService } from './slack-routing.service';
import { SlackWorkspacesService } from './slack-workspaces.service';

/** Slack integration: OAuth install, workspace bookkeeping, bot clients and routing. Needs config and db. */
@Module({
  providers: [SlackAdapter, SlackWorkspacesService, SlackOAuthService, SlackClientService, SlackRoutingService],
  exports: [SlackAdapter, SlackWorkspacesService, SlackOAuthService, SlackClientService, SlackRoutingService],
})
export class SlackModule {}
