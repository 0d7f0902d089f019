/**
 * `@openflows/sdk`: what flow modules import. Inside the platform, `require('@openflows/sdk')` is
 * answered with an SDK bound to the current run; this module's own exports only explain that.
 */
import { createSdk, unboundHost } from './sdk';

export * from './types';
export type { GithubApi, Sdk, SlackApi, SlackMessageOptions, SlackPostedMessage } from './sdk';
export type { GithubClient, SlackClient } from './host';
export type { ChatApp, ChatClient } from './chat-app';
export { MIN_SCHEDULE_INTERVAL_MS, type CronOptions, type ScheduleApi } from './schedule';
export { ENDPOINT_NAME, checkEndpointOptions, type HttpApi, type JsonSchema, type OperationSpec } from './http';
export type { DiscordApp, DiscordCommand, DiscordCommandOption } from './discord';
export type { WebApi, WebChatContext, WebChatMessage, WebChatOptions, WebChatRole, WebImageOptions } from './web';
export type { LlmApi } from './llm';

const sdk = createSdk(unboundHost());
export const {
  listenToEvent,
  chatCompletion,
  createImage,
  transcribe,
  createEmbeddings,
  github,
  slack,
  telegram,
  discord,
  lark,
  wechat,
  http,
  schedule,
  web,
  store,
  getSecret,
  env,
  log,
} = sdk;
