import type { INestApplication } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import { APP_CONFIG, CodedError, isErrorCode, type AppConfig } from '@openflows/common';
import { AuthService } from './auth/auth.service';
import { dashboardPages } from './dashboard/dashboard-pages';
import { QUEUES_BOARD_PATH, QueuesBoardService } from './dashboard/queues-board.service';
import { sendCodedError } from './errors/coded-error.filter';
import { useErrorFilters } from './errors/error-filters';
import { apiDocument } from './openapi';

/** GitHub caps webhook payloads at 25 MB; anything larger is answered 413 before it is read whole. */
export const WEBHOOK_BODY_LIMIT = '25mb';

/**
 * Body-parser errors (too large, malformed JSON) as coded answers under body-parser's own `type`, not
 * a 500. They happen before Nest routes the request, so the CodedErrorFilter never sees them.
 */
function bodyErrors(error: { status?: number; type?: string; message: string }, _req: Request, res: Response, next: NextFunction): void {
  if (!error.status || error.status >= 500) return next(error);
  sendCodedError(res, new CodedError(isErrorCode(error.type) ? error.type : 'BAD_REQUEST', error.message));
}

/**
 * HTTP wiring of the api: raw bodies for `/webhooks` and the endpoint flows' `/f` (signatures are computed over the exact bytes),
 * JSON elsewhere, cookies (dashboard sessions), coded error answers (see CodedErrorFilter), validation of DTOs, the OpenAPI description at
 * `/api/docs`, Bull Board at `/admin/queues` and the dashboard's pages.
 * The app must be created with `{ bodyParser: false }`.
 */
export function configureHttp(app: INestApplication): void {
  // Behind one proxy (compose, a load balancer) req.ip is the client's, which sign-in rate limits key on.
  (app.getHttpAdapter().getInstance() as express.Express).set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use('/webhooks', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }));
  // HTTP endpoint flows: raw too (HMAC auth is computed over the exact bytes), within their own limit.
  app.use('/f', express.raw({ type: () => true, limit: app.get<AppConfig>(APP_CONFIG).endpoints.bodyLimitBytes }));
  app.use(express.json({ limit: '8mb' }));
  app.use(bodyErrors);
  app.use(cookieParser());
  app.use(QUEUES_BOARD_PATH, ...app.get(QueuesBoardService).handlers());
  app.use(...dashboardPages(app.get(AuthService)));
  useErrorFilters(app);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  const document = apiDocument(app);
  SwaggerModule.setup('api/docs', app, document);
}
