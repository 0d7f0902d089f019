import { Module, type Type } from '@nestjs/common';
import type { ProviderAdapter } from '@openflows/common';
import { DiscordAdapter, DiscordModule } from '@openflows/discord';
import { GithubAdapter, GithubModule } from '@openflows/github';
import { HttpAdapter, HttpModule } from '@openflows/http';
import { ScheduleAdapter, ScheduleModule, ScheduleWorkerModule } from '@openflows/schedule';
import { LarkAdapter, LarkModule } from '@openflows/lark';
import { SlackAdapter, SlackModule } from '@openflows/slack';
import { TelegramAdapter, TelegramModule } from '@openflows/telegram';
import { WechatAdapter, WechatModule } from '@openflows/wechat';
import { ProviderRegistry } from './provider-registry';
import { RegistrationService } from './registration.service';

/** The one list of providers, a line each: the provider's Nest module and its adapter. */
const PROVIDERS: [module: Type, adapter: Type<ProviderAdapter>][] = [
  [GithubModule, GithubAdapter],
  [SlackModule, SlackAdapter],
  [LarkModule, LarkAdapter],
  [TelegramModule, TelegramAdapter],
  [WechatModule, WechatAdapter],
  [HttpModule, HttpAdapter],
  [ScheduleModule, ScheduleAdapter],
  [DiscordModule, DiscordAdapter],
];

/**
 * What providers run in worker processes only, beside the queues of the pipeline: processors of events
 * that arrive another way than a webhook (schedules' ticks). A line each.
 */
const WORKER_PARTS: Type[] = [ScheduleWorkerModule];

/** The provider registry and what iterates over it (subscription registration). */
@Module({
  imports: PROVIDERS.map(([module]) => module),
  providers: [
    {
      provide: ProviderRegistry,
      inject: PROVIDERS.map(([, adapter]) => adapter),
      useFactory: (...adapters: ProviderAdapter[]) => new ProviderRegistry(adapters),
    },
    RegistrationService,
  ],
  exports: [ProviderRegistry, RegistrationService],
})
export class ProvidersModule {}

/** The providers' worker-side parts (WORKER_PARTS); the worker module imports it beside ProvidersModule. */
@Module({ imports: WORKER_PARTS })
export class ProviderWorkersModule {}
