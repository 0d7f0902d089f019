import { LogLevel, WebClient } from '@slack/web-api';
import type { AppConfig } from '@openflows/common';

/**
 * A `@slack/web-api` WebClient against `SLACK_API_URL` (the tests' stand-in, or slack.com).
 * Retries are kept short: a run that fails is retried by the queue with its own backoff, and the
 * library's default (10 retries over about half an hour) would hold a run partition meanwhile.
 * @param token a bot token (`xoxb-…`); none for `oauth.v2.access`.
 */
export function createWebClient(config: Pick<AppConfig, 'slack'>, token?: string): WebClient {
  return new WebClient(token, {
    slackApiUrl: config.slack.apiUrl,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 1, minTimeout: 200, maxTimeout: 1000 },
    timeout: 10_000,
  });
}
