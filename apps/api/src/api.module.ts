import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SecretsModule } from '@openflows/secrets';
import { ApiTokenGuard } from './api-token.guard';
import { FlowsController } from './flows/flows.controller';
import { FlowsService } from './flows/flows.service';
import { HealthController } from './health/health.controller';
import { RunsController } from './runs/runs.controller';
import { RunsService } from './runs/runs.service';
import { SecretsController } from './secrets/secrets.controller';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The HTTP side: webhooks, the REST API and health. Needs PlatformModule and DbModule beside it. */
@Module({
  imports: [WebhooksModule, SecretsModule],
  controllers: [FlowsController, SecretsController, RunsController, HealthController],
  providers: [FlowsService, RunsService, { provide: APP_GUARD, useClass: ApiTokenGuard }],
})
export class ApiModule {}
