import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformLogger, PlatformModule, bootConfig, runMain } from '@openflows/common';
import { DbModule } from '@openflows/db';
import { ApiModule } from './api.module';
import { configureHttp } from './http';

/** Starts the api process alone (compose's `api` service); needs DATABASE_URL when a worker runs beside it. */
async function main(): Promise<void> {
  const config = bootConfig();
  @Module({ imports: [PlatformModule.forRoot(config), DbModule, ApiModule] })
  class ApiAppModule {}
  const app = await NestFactory.create(ApiAppModule, { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(PlatformLogger));
  configureHttp(app);
  await app.listen(config.port, config.host);
  // A plain line whatever LOG_LEVEL says: people and scripts wait for it.
  process.stdout.write(`api listening on ${await app.getUrl()} (public URL ${config.publicUrl})\n`);
}

runMain(main);
