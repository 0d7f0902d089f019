import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import { CodedError, REDIS } from '@openflows/common';

/** `GET /health`: 200 while Redis answers, 503 `REDIS_UNREACHABLE` otherwise (load balancers and compose use it). */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  @Get()
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.redis.ping();
      return { status: 'ok' };
    } catch {
      throw new CodedError('REDIS_UNREACHABLE', 'redis is not reachable');
    }
  }
}
