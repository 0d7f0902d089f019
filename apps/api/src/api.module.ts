import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';
import { GithubModule } from '@openflows/github';
import { HttpModule } from '@openflows/http';
import { LlmUsageStore, ModelsService } from '@openflows/llm';
import { ProvidersModule } from '@openflows/providers';
import { SecretsModule } from '@openflows/secrets';
import { SlackModule } from '@openflows/slack';
import { WebChatModule } from '@openflows/webchat';
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
import { FlowLlmController } from './flows/flow-llm.controller';
import { FlowLlmService } from './flows/flow-llm.service';
import { FlowsController } from './flows/flows.controller';
import { FlowsService } from './flows/flows.service';
import { HealthController } from './health/health.controller';
import { ApiRunsModule } from './runs/runs.module';
import { QueuesBoardService } from './dashboard/queues-board.service';
import { SecretsController } from './secrets/secrets.controller';
import { TokensController } from './tokens/tokens.controller';
import { WebChatController } from './web-chat/web-chat.controller';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The HTTP side: webhooks, sign-in and sessions, connections, the REST API, health, web chats' pages, and (mounted by
 * configureHttp) the dashboard and Bull Board. Needs PlatformModule and DbModule beside it.
 */
@Module({
  imports: [WebhooksModule, ApiRunsModule, SecretsModule, ProvidersModule, GithubModule, SlackModule, HttpModule, WebChatModule],
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
    FlowLlmController,
    SecretsController,
    HealthController,
    WebChatController,
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
    FlowLlmService,
    {
      provide: ModelsService,
      inject: [APP_CONFIG],
      useFactory: (cfg: AppConfig) => new ModelsService({ defaultBaseUrl: cfg.llm.baseUrl, maxRetries: cfg.llm.maxRetries }),
    },
    {
      provide: LlmUsageStore,
      inject: [APP_CONFIG, REDIS],
      useFactory: (cfg: AppConfig, redis: Redis) => new LlmUsageStore(redis, redisKey(cfg)),
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class ApiModule {}
