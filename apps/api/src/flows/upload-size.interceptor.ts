import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { CodedError } from '@openflows/common';
import type { Observable } from 'rxjs';
import { MAX_FLOW_SOURCE_BYTES } from './flows.dto';

/** Room for the multipart framing and the text fields around the files (bytes). */
const MULTIPART_OVERHEAD = 256 * 1024;

/**
 * Refuses a folder upload whose `Content-Length` already says it is over the limit (413 `UPLOAD_TOO_LARGE`), before
 * multer buffers any of it; uploads without a length are limited per file by multer and in total
 * by `FlowsService.deployUpload`.
 */
@Injectable()
export class UploadSizeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const length = Number(context.switchToHttp().getRequest<Request>().headers['content-length'] ?? 0);
    if (length > MAX_FLOW_SOURCE_BYTES + MULTIPART_OVERHEAD) {
      throw new CodedError('UPLOAD_TOO_LARGE', 'the upload is larger than 5 MB');
    }
    return next.handle();
  }
}
