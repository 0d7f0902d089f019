import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Module } from '@nestjs/common';
import { PlatformModule, loadConfig } from '@openflows/common';
import { DbModule } from '@openflows/db';
import { ApiModule } from './api.module';

/** The committed OpenAPI description (repository-relative), from which `libs/api-types` is generated. */
export const OPENAPI_PATH = 'docs/openapi.json';

/** The OpenAPI 3 description of the REST API as served at `/api/docs` (from the controllers' and DTOs' decorators). */
export function apiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('OpenFlows API')
      .setDescription(
        'Deploy flows, manage named secrets and read runs. Bearer token (API_TOKEN or a personal API token), or the dashboard session cookie with X-CSRF-Token on changes.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
}

/**
 * The OpenAPI description without a server, Redis or database: the api's module graph in Nest's
 * preview mode (modules scanned, no provider instantiated), default configuration.
 */
export async function describeApi(): Promise<OpenAPIObject> {
  @Module({ imports: [PlatformModule.forRoot(loadConfig({})), DbModule, ApiModule] })
  class DescribedApiModule {}
  const app = await NestFactory.create(DescribedApiModule, { preview: true, logger: false, abortOnError: false });
  try {
    return apiDocument(app);
  } finally {
    await app.close();
  }
}
