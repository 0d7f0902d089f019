import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from './config';
import { ConfigModule } from './config.module';
import { PlatformLogger, loggerModule } from './logger';
import { bullConnection } from './queues';
import { RedisModule } from './redis.module';

/**
 * What every process of the platform needs once: configuration, logging, Redis and BullMQ's
 * connection (worker role; producers override it per queue). Import it at the top of an app.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule(config),
        RedisModule,
        BullModule.forRoot({ connection: bullConnection(config.redis.url, 'worker'), prefix: config.redis.prefix }),
      ],
      providers: [PlatformLogger],
      exports: [PlatformLogger],
    };
  }
}
