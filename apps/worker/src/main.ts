import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformLogger, PlatformModule, bootConfig, redactUrl, runMain } from '@openflows/common';
import { DbModule } from '@openflows/db';
import { WorkerModule } from './worker.module';

/** Starts a worker process alone (compose's `worker` service; scale it out on one Redis). */
async function main(): Promise<void> {
  const config = bootConfig();
  @Module({ imports: [PlatformModule.forRoot(config), DbModule, WorkerModule.forRoot(config)] })
  class WorkerAppModule {}
  const app = await NestFactory.createApplicationContext(WorkerAppModule, { bufferLogs: true });
  app.useLogger(app.get(PlatformLogger));
  app.enableShutdownHooks();
  // A plain line whatever LOG_LEVEL says: people and scripts wait for it.
  process.stdout.write(`worker started: events queue and ${config.runs.partitions} runs partitions on ${redactUrl(config.redis.url)}\n`);
}

runMain(main);
