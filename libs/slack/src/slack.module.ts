import { Module } from '@nestjs/common';
import { SlackAdapter } from './slack.adapter';
import { SlackClientService } from './slack-client.service';
import { SlackIngress } from './slack-ingress';
import { SlackOAuthService } from './slack-oauth.service';
import { SlackRoutingService } from './slack-routing.service';
import { SlackWorkspacesService } from './slack-workspaces.service';

/** Slack integration: OAuth install, workspace bookkeeping, bot clients and routing. Needs config and db. */
const providers = [SlackAdapter, SlackIngress, SlackWorkspacesService, SlackOAuthService, SlackClientService, SlackRoutingService];

@Module({ providers, exports: providers })
export class SlackModule {}
