import { Client, Domain } from '@larksuiteoapi/node-sdk';
import type { AppConfig } from '@openflows/common';

/** Which Open Platform an app lives on: Feishu (China, open.feishu.cn) or Lark (open.larksuite.com). */
export type LarkDomain = 'feishu' | 'lark';

export const LARK_DOMAINS: readonly LarkDomain[] = ['feishu', 'lark'];

/** What a client needs of an app: its id and secret (for the tenant access token) and its platform. */
export interface LarkAppCredentials {
  appId: string;
  appSecret: string;
  domain: LarkDomain;
}

/**
 * The SDK logs a failed request with its body and configuration, and the token request's body holds the
 * app secret: nothing the SDK logs is printed. Failures reach us as errors carrying Lark's `code`/`msg`.
 */
const SILENT = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };

/**
 * A `@larksuiteoapi/node-sdk` Client for one app. By default it fetches the tenant access token
 * (`/open-apis/auth/v3/tenant_access_token/internal`) itself and caches it until shortly before it
 * expires (`disableTokenCache: false`; the SDK's cache, per process, keyed by app id); with
 * `manageToken: false` calls carry only the token given with them (`withTenantToken`). Its base URL is
 * `LARK_API_URL` when set (the tests' stand-in, a proxy), else the app's domain as the SDK maps it
 * (`Domain.Feishu` → https://open.feishu.cn, `Domain.Lark` → https://open.larksuite.com).
 */
export function createLarkClient(config: Pick<AppConfig, 'lark'>, app: LarkAppCredentials, { manageToken = true } = {}): Client {
  return new Client({
    appId: app.appId,
    appSecret: app.appSecret,
    domain: config.lark.apiUrl ?? (app.domain === 'lark' ? Domain.Lark : Domain.Feishu),
    disableTokenCache: !manageToken,
    logger: SILENT,
  });
}
