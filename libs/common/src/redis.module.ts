import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG } from './config.module';
import type { AppConfig } from './config';
import { REDIS } from './redis-key';
import { ReplyWindow } from './reply-window';

export { REDIS, redisKey } from './redis-key';

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One ioredis connection per process for everything that is not a queue, and the reply windows over it. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      // Fail commands fast while Redis is away instead of queueing them, so callers can answer 503.
      useFactory: (config: AppConfig) => {
        const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
        const logger = new Logger('Redis');
        // ioredis reconnects by itself; without a listener every failed attempt is printed as unhandled.
        redis.on('error', (error: Error) => logger.warn(`redis: ${error.message}`));
        return redis;
      },
    },
    RedisCloser,
    ReplyWindow,
  ],
  exports: [REDIS, ReplyWindow],
})
export class RedisModule {}
