import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GithubModule } from '@openflows/github';
import { SecretsModule } from '@openflows/secrets';
import { SlackModule } from '@openflows/slack';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { GithubConnectController } from './connect/github-connect.controller';
import { SlackConnectController } from './connect/slack-connect.controller';
import { ConnectionsController } from './connections/connections.controller';
import { ConnectionsService } from './connections/connections.service';
import { FlowBuildsService } from './flows/flow-builds.service';
import { FlowsController } from './flows/flows.controller';
import { FlowsService } from './flows/flows.service';
import { HealthController } from './health/health.controller';
import { RunsController } from './runs/runs.controller';
import { RunsService } from './runs/runs.service';
import { SecretsController } from './secrets/secrets.controller';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The HTTP side: webhooks, sign-in, connections, the REST API and health. Needs PlatformModule and DbModule beside it. */
@Module({
  imports: [WebhooksModule, SecretsModule, GithubModule, SlackModule],
  controllers: [
    AuthController,
    GithubConnectController,
    SlackConnectController,
    ConnectionsController,
    FlowsController,
    SecretsController,
    RunsController,
    HealthController,
  ],
  providers: [AuthService, ConnectionsService, FlowBuildsService, FlowsService, RunsService, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class ApiModule {}
