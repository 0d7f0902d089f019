import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, EVENTS_QUEUE, REDIS, redisKey, runsQueueNames, type AppConfig } from '@openflows/common';
import { ChatService, LlmGateway, LlmUsageStore, MediaService, RedisConversationMemory } from '@openflows/llm';
import { ProviderWorkersModule, ProvidersModule } from '@openflows/providers';
import { RunsModule } from '@openflows/runs';
import { FlowRuntime } from '@openflows/runtime';
import { SecretsModule } from '@openflows/secrets';
import { EventsProcessor } from './events/events.processor';
import { EventsService } from './events/events.service';
import { QueueSetupService } from './queue-setup.service';
import { FlowRuntimeHost } from './runs/flow-runtime.host';
import { runsProcessorFor } from './runs/runs.processor';
import { RunsService } from './runs/runs.service';

/**
 * The queue side: routes events and executes runs. Partition count and lock duration shape the
 * processor classes, so the module is built from the parsed configuration. Needs PlatformModule and
 * DbModule beside it.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    const partitions = runsQueueNames(config.runs.partitions);
    return {
      module: WorkerModule,
      imports: [
        BullModule.registerQueue(...[EVENTS_QUEUE, ...partitions].map((name) => ({ name }))),
        ProvidersModule,
        ProviderWorkersModule,
        SecretsModule,
        RunsModule,
      ],
      providers: [
        EventsProcessor,
        EventsService,
        RunsService,
        QueueSetupService,
        FlowRuntimeHost,
        { provide: FlowRuntime, inject: [FlowRuntimeHost], useFactory: (host: FlowRuntimeHost) => host.runtime },
        ...partitions.map((_, i) => runsProcessorFor(i, config.runs.lockMs)),
        {
          provide: LlmGateway,
          inject: [APP_CONFIG, REDIS],
          useFactory: (cfg: AppConfig, redis: Redis) => {
            const clients = { defaultBaseUrl: cfg.llm.baseUrl, maxRetries: cfg.llm.maxRetries };
            const memory = new RedisConversationMemory(redis, redisKey(cfg), cfg.llm.conversationTtlSeconds);
            return new LlmGateway(new ChatService(memory, clients), new MediaService(clients), new LlmUsageStore(redis, redisKey(cfg)));
          },
        },
      ],
    };
  }
}
