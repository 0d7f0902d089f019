import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ApiModule, configureHttp } from '@openflows/api';
import { PlatformModule, bootConfig, runMain } from '@openflows/common';
import { DbModule } from '@openflows/db';
import { WorkerModule } from '@openflows/worker';

/**
 * api and worker in one process: what `npm start` runs on a single machine. It is also the only way to
 * use the embedded PGlite database, which one process owns.
 */
async function main(): Promise<void> {
  const config = bootConfig();
  @Module({ imports: [PlatformModule.forRoot(config), DbModule, ApiModule, WorkerModule.forRoot(config)] })
  class StandaloneModule {}
  const app = await NestFactory.create(StandaloneModule, { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureHttp(app);
  await app.listen(config.port, config.host);
  const database = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}/pglite`;
  // A plain line whatever LOG_LEVEL says: people and scripts wait for it.
  process.stdout.write(
    `OpenFlows listening on ${await app.getUrl()} (webhooks: ${config.publicUrl}/webhooks/github, API docs: ${config.publicUrl}/api/docs; database: ${database})\n`,
  );
}

runMain(main);
