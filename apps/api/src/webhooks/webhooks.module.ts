import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, EVENTS_QUEUE, bullConnection, type AppConfig } from '@openflows/common';
import { ProvidersModule } from '@openflows/providers';
import { IngressService } from './ingress.service';
import { WebhooksController } from './webhooks.controller';

/** Verified webhook ingress: one controller for every provider's adapter, one provider-agnostic ingress service (also the web chats'). */
@Module({
  imports: [
    ProvidersModule,
    BullModule.registerQueueAsync({
      name: EVENTS_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: bullConnection(config.redis.url, 'producer') }),
    }),
  ],
  controllers: [WebhooksController],
  providers: [IngressService],
  exports: [IngressService],
})
export class WebhooksModule {}
