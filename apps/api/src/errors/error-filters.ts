import type { INestApplication } from '@nestjs/common';
import { SignInRedirectFilter } from '../auth/sign-in-redirect.filter';
import { CodedErrorFilter } from './coded-error.filter';

/**
 * Registers the api's exception filters. Nest tries the last registered global filter first, so the
 * redirect filter sees its SignInRequiredError before the catch-all CodedErrorFilter sees the rest.
 */
export function useErrorFilters(app: INestApplication): void {
  app.useGlobalFilters(new CodedErrorFilter(app.getHttpAdapter()), new SignInRedirectFilter());
}
