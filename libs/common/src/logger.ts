import { LoggerModule } from 'nestjs-pino';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from './config';

/**
 * Paths pino blanks out in every log line: credentials in headers, and any field named like a secret.
 * Secrets must never reach a log (README, "Security").
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'req.headers["x-slack-signature"]',
  '*.apiKey',
  '*.token',
  '*.privateKey',
  '*.botToken',
  '*.refreshToken',
  '*.credentials',
  '*.secret',
  '*.value',
  'apiKey',
  'token',
  'secret',
];

/** Structured JSON logs (pino) with request logging and redaction, for any Nest app of the platform. */
export function loggerModule(config: AppConfig): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      autoLogging: { ignore: (req) => req.url === '/health' },
      // Webhook bodies can be megabytes; the request line and status are what operators need.
      // OAuth callbacks carry a one-time `code` and the signed `state` in the query: log the path only.
      // An endpoint flow's URL key lets anyone call it: logged as `[key]`.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.startsWith('/connect/') ? req.url.split('?')[0] : req.url.replace(/^\/f\/[^/?]+/, '/f/[key]'),
        }),
      },
    },
  });
}
