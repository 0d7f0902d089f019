import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '@openflows/common';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Guards `/api/*` with `Authorization: Bearer <API_TOKEN>` when `API_TOKEN` is set (required in
 * production). Webhooks authenticate by signature and are not under `/api`.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.apiToken;
    const req = context.switchToHttp().getRequest<Request>();
    if (!expected || !req.path.startsWith('/api/')) return true;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    // Compare digests so that timing reveals neither the token nor its length.
    if (!timingSafeEqual(digest(given), digest(expected))) throw new UnauthorizedException('missing or wrong API token');
    return true;
  }
}
