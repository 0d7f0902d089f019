import { type ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { CodedError } from '@openflows/common';
import { asApiError } from './api-errors';

/** The JSON body of every coded error answer. */
export interface CodedErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** `{ statusCode, code, message }`, plus `details` when the error has some. */
export function codedErrorBody(error: CodedError): CodedErrorBody {
  const body: CodedErrorBody = { statusCode: error.status, code: error.code, message: error.message };
  if (error.details) body.details = error.details;
  return body;
}

/** Answers `res` with `error` (its status and body), unless an answer has begun: then it is ended. */
export function sendCodedError(res: Response, error: CodedError): void {
  if (res.headersSent) res.end();
  else res.status(error.status).json(codedErrorBody(error));
}

/**
 * The api's one answer to whatever a route, guard, pipe or interceptor throws. A CodedError, or an
 * error `asApiError` knows, is answered with its code (see ERROR_CODES); Nest's own HttpExceptions
 * (the validation pipe's 400s, the 404 of an unknown route, multer's 413…) as Nest answers them;
 * anything else is logged with the request and answered 500 `INTERNAL` without its message or stack,
 * which may hold details of the server.
 * Register it with the app's HTTP adapter, which Nest's part of the answer needs.
 */
@Catch()
export class CodedErrorFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(CodedErrorFilter.name);

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException) return super.catch(exception, host);
    const error = asApiError(exception);
    if (!(exception instanceof CodedError) && error.status >= 500) {
      const req = host.switchToHttp().getRequest<Request>();
      this.logger.error({ err: exception, method: req.method, path: req.path, code: error.code }, 'request failed');
    }
    sendCodedError(host.switchToHttp().getResponse<Response>(), error);
  }
}
