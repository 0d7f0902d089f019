import type { Request } from 'express';
import { CodedError } from '@openflows/common';

/**
 * Reads a request's body no JSON parser took (a voice message), up to `limit` bytes.
 * @throws CodedError `entity.too.large` (413) past the limit, as body-parser answers it.
 */
export function readLimitedBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new CodedError('entity.too.large', `the body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
