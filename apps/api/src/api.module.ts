import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GithubModule } from '@openflows/github';
import { ProvidersModule } from '@openflows/providers';
import { SecretsModule } from '@openflows/secrets';
import { SlackModule } from '@openflows/slack';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { ConnectCodesController } from './auth/connect-codes.controller';
import { ConnectCodesService } from './auth/connect-codes.service';
import { CsrfService } from './auth/csrf.service';
import { GithubSignInController } from './auth/github-sign-in.controller';
import { SignInLimiterService } from './auth/sign-in-limiter.service';
import { GithubConnectController } from './connect/github-connect.controller';
import { SlackConnectController } from './connect/slack-connect.controller';
import { ConnectionsController } from './connections/connections.controller';
import { ConnectionsService } from './connections/connections.service';
import { ProvidersController } from './connections/providers.controller';
import { FlowBuildsService } from './flows/flow-builds.service';
import { FlowsController } from './flows/flows.controller';
import { FlowsService } from './flows/flows.service';
import { HealthController } from './health/health.controller';
import { ApiRunsModule } from './runs/runs.module';
import { QueuesBoardService } from './dashboard/queues-board.service';
import { SecretsController } from './secrets/secrets.controller';
import { TokensController } from './tokens/tokens.controller';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The HTTP side: webhooks, sign-in and sessions, connections, the REST API, health, and (mounted by
 * configureHttp) the dashboard and Bull Board. Needs PlatformModule and DbModule beside it.
 */
@Module({
  imports: [WebhooksModule, ApiRunsModule, SecretsModule, ProvidersModule, GithubModule, SlackModule],
  controllers: [
    AuthController,
    GithubSignInController,
    TokensController,
    ConnectCodesController,
    GithubConnectController,
    SlackConnectController,
    ConnectionsController,
    ProvidersController,
    FlowsController,
    SecretsController,
    HealthController,
  ],
  providers: [
    AuthService,
    ConnectCodesService,
    CsrfService,
    SignInLimiterService,
    QueuesBoardService,
    ConnectionsService,
    FlowBuildsService,
    FlowsService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class ApiModule {}
