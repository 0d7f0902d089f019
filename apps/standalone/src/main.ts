import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiModule, configureHttp } from '@openflows/api';
import { PlatformLogger, PlatformModule, bootConfig, runMain } from '@openflows/common';
import { DbModule } from '@openflows/db';
import { WorkerModule } from '@openflows/worker';
import { startupBanner } from './banner';

/**
 * api and worker in one process: what `npm start` runs on a single machine. It is also the only way to
 * use the embedded PGlite database, which one process owns.
 */
async function main(): Promise<void> {
  const config = bootConfig();
  @Module({ imports: [PlatformModule.forRoot(config), DbModule, ApiModule, WorkerModule.forRoot(config)] })
  class StandaloneModule {}
  const app = await NestFactory.create(StandaloneModule, { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(PlatformLogger));
  configureHttp(app);
  await app.listen(config.port, config.host);
  // Plain lines whatever LOG_LEVEL says: people and scripts wait for the first one.
  process.stdout.write(startupBanner(config, await app.getUrl()));
}

runMain(main);
