import { Injectable, type DynamicModule } from '@nestjs/common';
import { Logger, LoggerModule, type Params } from 'nestjs-pino';
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

/**
 * Nest's own start-up chatter that says nothing an operator acts on: one line per mapped route
 * (~60) and per controller, and one per module initialised (~30). Logged at debug instead of info (`LOG_LEVEL=debug` shows them).
 */
export const QUIET_CONTEXTS: ReadonlySet<string> = new Set(['RouterExplorer', 'RoutesResolver', 'InstanceLoader']);

/**
 * nestjs-pino's options for a process of the platform: structured JSON lines (one object per line, what
 * log collectors read), or, when `tty` (stdout is a terminal: someone is watching `npm start`),
 * the same lines made readable by pino-pretty in pino's transport worker. Request logging and
 * redaction either way.
 */
export function loggerOptions(config: Pick<AppConfig, 'logLevel'>, tty: boolean): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      autoLogging: { ignore: (req) => req.url === '/health' },
      ...(tty && {
        transport: {
          target: 'pino-pretty',
          options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
        },
      }),
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
  };
}

/** Logging for any Nest app of the platform (see {@link loggerOptions}); pretty when stdout is a terminal. */
export function loggerModule(config: AppConfig): DynamicModule {
  return LoggerModule.forRoot(loggerOptions(config, Boolean(process.stdout.isTTY)));
}

/**
 * The Nest logger of the platform's processes (`app.useLogger(app.get(PlatformLogger))`): nestjs-pino's,
 * with the {@link QUIET_CONTEXTS} lines moved from info to debug.
 */
@Injectable()
export class PlatformLogger extends Logger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    // Nest passes the context (the logging class's name) as the last parameter.
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && QUIET_CONTEXTS.has(context)) this.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }
}
