import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, EVENTS_QUEUE, bullConnection, type AppConfig } from '@openflows/common';
import { GithubWebhookController } from './github-webhook.controller';
import { IngressService } from './ingress.service';
import { SlackWebhookController } from './slack-webhook.controller';

/** Verified webhook ingress, one controller per provider, one provider-agnostic ingress service. */
@Module({
  imports: [
    BullModule.registerQueueAsync({
      name: EVENTS_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: bullConnection(config.redis.url, 'producer') }),
    }),
  ],
  controllers: [GithubWebhookController, SlackWebhookController],
  providers: [IngressService],
})
export class WebhooksModule {}
