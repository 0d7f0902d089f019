import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@openflows/common';

/** How long one call to WeChat may take (ms); the customer-service send is on a run's path. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * WeChat refused a call: its `{ errcode, errmsg }` body (answered with HTTP 200; e.g. 40125 invalid
 * appsecret, 40001 invalid or replaced access token, 42001 expired access token, 40164 caller IP not
 * on the allow-list), or an HTTP status other than 2xx (`errcode` -1 then).
 */
export class WechatApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly status: number,
    readonly data: unknown,
  ) {
    super(`WeChat answered errcode ${errcode}: ${errmsg}`);
  }
}

/** An access token as `/cgi-bin/token` grants it; `expiresIn` in seconds (7200 today). */
export interface GrantedToken {
  accessToken: string;
  expiresIn: number;
}

/** Query values of a call; `access_token` is added by {@link WechatApi.call}. */
export type WechatQuery = Record<string, string | number | boolean>;

/**
 * The Official Account API over HTTP at `config.wechat.apiUrl` (`WECHAT_API_URL`, default
 * `https://api.weixin.qq.com`): the access token grant and calls by path under `/cgi-bin/`. Knows no
 * cache; see WechatAccessTokens. URLs carry the secret or the access token (WeChat's design): they are never logged.
 */
@Injectable()
export class WechatApi {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…` → `{ access_token, expires_in }`.
   * @throws WechatApiError when WeChat refuses (wrong AppID or AppSecret, IP not allowed…); the
   *   network error when it cannot be reached.
   */
  async grantToken(appId: string, appSecret: string): Promise<GrantedToken> {
    const answer = (await this.request('GET', '/cgi-bin/token', { grant_type: 'client_credential', appid: appId, secret: appSecret })) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof answer.access_token !== 'string' || typeof answer.expires_in !== 'number') {
      throw new WechatApiError(-1, 'the token answer has no access_token or expires_in', 200, answer);
    }
    return { accessToken: answer.access_token, expiresIn: answer.expires_in };
  }

  /**
   * `method path?access_token=…&query` with `body` as JSON (POST). @returns WeChat's answer, parsed
   * from JSON (the text when it is not JSON).
   * @throws WechatApiError for a non-zero `errcode` or a non-2xx status; the network error when unreachable.
   */
  async call(method: 'GET' | 'POST', path: string, accessToken: string, query: WechatQuery = {}, body?: unknown): Promise<unknown> {
    return this.request(method, path, { ...query, access_token: accessToken }, body);
  }

  private async request(method: 'GET' | 'POST', path: string, query: WechatQuery, body?: unknown): Promise<unknown> {
    const url = new URL(`${this.config.wechat.apiUrl}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const raw = await res.text();
    const data = parseJson(raw);
    const errcode = (data as { errcode?: unknown } | undefined)?.errcode;
    if (typeof errcode === 'number' && errcode !== 0) {
      throw new WechatApiError(errcode, String((data as { errmsg?: unknown }).errmsg ?? ''), res.status, data);
    }
    if (!res.ok) throw new WechatApiError(-1, `HTTP ${res.status}`, res.status, data ?? raw);
    return data ?? raw;
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
