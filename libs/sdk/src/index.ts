/**
 * `@openflows/sdk`: what flow modules import. Inside the platform, `require('@openflows/sdk')` is
 * answered with an SDK bound to the current run; this module's own exports only explain that.
 */
import { createSdk, unboundHost } from './sdk';

export * from './types';
export type { GithubApi, Sdk, SlackApi, SlackMessageOptions, SlackPostedMessage } from './sdk';
export type { GithubClient, SlackClient } from './host';
export type { ChatApp, ChatClient } from './chat-app';

const sdk = createSdk(unboundHost());
export const { listenToEvent, chatCompletion, github, slack, telegram, discord, lark, wechat, store, env, log } = sdk;
