import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { APP_CONFIG, EVENTS_QUEUE, runsQueueNames, type AppConfig } from '@openflows/common';

/**
 * Sets BullMQ's global concurrency to 1 on the events queue and every runs partition at start. That is
 * what keeps arrival order when several worker processes share one Redis (per-worker concurrency alone
 * would not).
 */
@Injectable()
export class QueueSetupService implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const name of [EVENTS_QUEUE, ...runsQueueNames(this.config.runs.partitions)]) {
      await this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }).setGlobalConcurrency(1);
    }
  }
}
