import { chatApp, type ChatApp } from './chat-app';
import { http, type HttpApi } from './http';
import { schedule, type ScheduleApi } from './schedule';
import { discordApp, type DiscordApp } from './discord';
import type { GithubClient, SdkHost, SlackClient } from './host';
import { webApi, type WebApi } from './web';
import { llmApi, type LlmApi } from './llm';
import {
  SdkError,
  type EventHandler,
  type EventSource,
  type FlowLogger,
  type FlowStore,
  type GithubContext,
  type SlackContext,
} from './types';

/** `github` in a flow: a source builder, the event's context, and the installation's Octokit. */
export type GithubApi = GithubClient & {
  /** The source for `listenToEvent`: events of one repository. */
  repo(owner: string, repo: string): EventSource;
  readonly context: GithubContext;
};

/** Options of {@link SlackApi.sendMessage}: where in the channel the message goes. */
export interface SlackMessageOptions {
  /** Post in this thread: the `ts` of its parent message (`slack.context.threadId`, the event's `thread_ts`). */
  threadId?: string;
  /** Reply to this message: in its thread, started under it when it has none (a top-level message's `ts`). */
  replyTo?: string;
  /** The same as `threadId`, Slack's own name (kept for flows written before `threadId`). */
  threadTs?: string;
}

/** What {@link SlackApi.sendMessage} resolves to: the posted message's `ts`, also as `messageId`, and its channel. */
export interface SlackPostedMessage {
  messageId: string;
  ts: string;
  channel: string;
}

/**
 * `slack` in a flow: a source builder, message helpers, the event's context and the full WebClient.
 * `chat`, `sendMessage`'s `threadId`/`replyTo` and `messageId`, and the context's `account`, `chatId`,
 * `threadId`, `messageId` and `sender` are the shape every chat app shares (see ChatApp).
 */
export interface SlackApi {
  /**
   * The source for `listenToEvent`: events of one channel. `team` is the workspace's id (`T…`) or
   * name, `channel` the channel's id (`C…`) or name (with or without `#`), or `*` for every channel
   * of the workspace; names are resolved with the workspace's token when events arrive.
   * @throws SdkError INVALID_ARGUMENT unless both are non-empty names without `/`.
   */
  channel(team: string, channel: string): EventSource;
  /** The same as {@link channel}: the name every chat app's source has. */
  chat(team: string, channel: string): EventSource;
  /**
   * The source for `listenToEvent` of the slash commands `commands` (names with or without `/`, e.g.
   * `['restart']`) typed in any channel of the workspace; the event names to listen to are the
   * same names. Slack lets no API register them: add each to the Slack app (Slash Commands, Request
   * URL `<PUBLIC_URL>/webhooks/slack/commands`). The event's `payload` is Slack's form fields
   * (`command`, `text`, `channel_id`, `user_id`, …); `slack.context.chatId` is the channel.
   * A `slack.channel(team, channel)` source listening to a command's name gets it too, from that channel.
   * @throws SdkError INVALID_ARGUMENT for an empty list or a name Slack does not allow (lower-case, no spaces, up to 32 characters).
   */
  commands(team: string, commands: string[]): EventSource;
  /**
   * Posts `text` to a channel (id, as in `slack.context.chatId`) with `chat.postMessage`, in the thread
   * `options.threadId` (or `threadTs`), else in the thread of `options.replyTo`, else at the top level.
   * @returns the posted message's `ts` (also as `messageId`) and channel.
   * @throws SdkError SLACK_NOT_CONNECTED outside a run of a connected workspace's event, REQUEST_FAILED when Slack refuses.
   */
  sendMessage(channel: string, text: string, options?: SlackMessageOptions): Promise<SlackPostedMessage>;
  /** Replaces the text of the bot's message `ts` in `channel` with `chat.update`. */
  updateMessage(channel: string, ts: string, text: string): Promise<void>;
  /** The workspace's `@slack/web-api` WebClient, authenticated as the bot. */
  readonly client: SlackClient;
  readonly context: SlackContext;
}

/** Everything `@openflows/sdk` exports to flows. */
export interface Sdk extends LlmApi {
  /**
   * Subscribes to events. At deploy the platform records the subscription; when an event arrives it
   * calls `handler` if the event matches `source` and one of `eventNames`.
   * @throws SdkError INVALID_ARGUMENT for an empty name list or a malformed source.
   */
  listenToEvent(source: EventSource, eventNames: string | string[], handler: EventHandler): Promise<void>;
  github: GithubApi;
  slack: SlackApi;
  /** Telegram bots (Bot API), see the README's Telegram section. */
  telegram: ChatApp;
  /** Discord applications and their slash commands, see the README's Discord section. */
  discord: DiscordApp;
  /** Feishu/Lark apps, see the README's Feishu/Lark section. */
  lark: ChatApp;
  /** WeChat Official Accounts, see the README's WeChat section. */
  wechat: ChatApp;
  /** Web chats the platform serves at `<PUBLIC_URL>/chat/<key>`, see the README's Web chat section. */
  web: WebApi;
  /** HTTP endpoint flows: `http.endpoint(name, options)` as a source, `http.json` / `http.response` as what handlers return. */
  http: HttpApi;
  /** Schedules: `schedule.cron(expression, { timezone })` and `schedule.every(ms)` as sources of `tick` events. */
  schedule: ScheduleApi;
  store: FlowStore;
  /**
   * The value of the flow owner's generic secret `name` (`PUT /api/secrets/<name>`), e.g. an API key to
   * send with `fetch`. Each read is written to the run's log (the name, never the value) and shown as
   * the secret's last use. Works in handlers only.
   * @throws SdkError SECRET_NOT_FOUND when the owner has no secret of that name, SECRET_REFUSED for an
   *   LLM key (those are used through `chatCompletion`, never read), INVALID_ARGUMENT for a name that
   *   is not a non-empty string, NOT_IN_HANDLER in `run()`.
   */
  getSecret(name: string): Promise<string>;
  /**
   * A deploy-time variable (`openflows deploy --env name=value`).
   * @throws SdkError MISSING_ENV when it is unset and no fallback is given.
   */
  env(name: string, fallback?: string): string;
  log: FlowLogger;
}

function githubSource(owner: string, repo: string): EventSource {
  if (!owner || !repo || owner.includes('/') || repo.includes('/')) {
    throw new SdkError('INVALID_ARGUMENT', `github.repo(owner, repo) needs two names, got ${JSON.stringify([owner, repo])}`);
  }
  return { provider: 'github', target: `${owner}/${repo}`.toLowerCase() };
}

function githubApi(host: SdkHost): GithubApi {
  const own: Record<string | symbol, unknown> = { repo: githubSource };
  // A proxy so that Octokit (and the installation token behind it) is only created when a flow uses it.
  return new Proxy(own, {
    get(target, property) {
      if (property in target) return target[property];
      if (property === 'context') return host.githubContext();
      return (host.github() as unknown as Record<string | symbol, unknown>)[property];
    },
  }) as unknown as GithubApi;
}

function slackSource(team: string, channel: string): EventSource {
  const name = typeof channel === 'string' ? channel.replace(/^#/, '') : '';
  if (typeof team !== 'string' || !team || !name || team.includes('/') || name.includes('/')) {
    throw new SdkError('INVALID_ARGUMENT', `slack.channel(team, channel) needs two names or ids, got ${JSON.stringify([team, channel])}`);
  }
  return { provider: 'slack', target: `${team}/${name}`.toLowerCase() };
}

/** Slack's rule for a command's name after its slash: lower-case, no spaces or slashes, at most 32 characters. */
const SLACK_COMMAND = /^[^\s/A-Z]{1,32}$/;

function slackCommands(team: string, commands: string[]): EventSource {
  const names = Array.isArray(commands) ? commands.map((c) => (typeof c === 'string' ? c.replace(/^\//, '') : '')) : [];
  if (names.length === 0 || names.some((name) => !SLACK_COMMAND.test(name))) {
    throw new SdkError(
      'INVALID_ARGUMENT',
      `slack.commands(team, commands) needs command names such as ['restart'], got ${JSON.stringify(commands)}`,
    );
  }
  return { ...slackSource(team, '*'), options: { commands: names } };
}

function slackApi(host: SdkHost): SlackApi {
  return {
    channel: slackSource,
    chat: slackSource,
    commands: slackCommands,
    async sendMessage(channel, text, options = {}) {
      // Slack threads hang off their parent's ts: a reply to a top-level message starts its thread.
      const thread = options.threadId ?? options.threadTs ?? options.replyTo;
      const posted = await host.slack().chat.postMessage({ channel, text, ...(thread ? { thread_ts: thread } : {}) });
      const ts = posted.ts ?? '';
      return { messageId: ts, ts, channel: posted.channel ?? channel };
    },
    async updateMessage(channel, ts, text) {
      await host.slack().chat.update({ channel, ts, text });
    },
    // Getters so that the workspace's client is only asked for when a flow uses it.
    get client() {
      return host.slack();
    },
    get context() {
      return host.slackContext();
    },
  };
}

/** Builds the SDK object a flow sees, bound to `host`. */
export function createSdk(host: SdkHost): Sdk {
  return {
    listenToEvent(source, eventNames, handler) {
      const names = typeof eventNames === 'string' ? [eventNames] : eventNames;
      // Which providers exist is the platform's to say: an unknown one fails the deploy, not this call.
      if (!source || typeof source.provider !== 'string' || source.provider === '' || typeof source.target !== 'string') {
        throw new SdkError(
          'INVALID_ARGUMENT',
          'listenToEvent needs a source such as github.repo(owner, repo), slack.channel(team, channel) or telegram.chat(bot, chatId)',
        );
      }
      if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '')) {
        throw new SdkError('INVALID_ARGUMENT', 'listenToEvent needs at least one event name, e.g. ["issues"]');
      }
      if (typeof handler !== 'function') throw new SdkError('INVALID_ARGUMENT', 'listenToEvent needs a handler function');
      return host.listen(source, names, handler);
    },
    ...llmApi(host),
    github: githubApi(host),
    slack: slackApi(host),
    telegram: chatApp(host, 'telegram'),
    discord: discordApp(host),
    lark: chatApp(host, 'lark'),
    wechat: chatApp(host, 'wechat'),
    web: webApi(host),
    http,
    schedule,
    store: host.store,
    async getSecret(name) {
      if (typeof name !== 'string' || name === '') throw new SdkError('INVALID_ARGUMENT', 'getSecret(name) needs the name of a secret');
      return (await host.call('secrets.get', [name])) as string;
    },
    env(name, fallback) {
      const value = host.env(name) ?? fallback;
      if (value === undefined)
        throw new SdkError('MISSING_ENV', `deploy-time variable "${name}" is not set (openflows deploy --env ${name}=…)`);
      return value;
    },
    log: host.log,
  };
}

/** The host outside the platform: every call explains where the SDK works. */
export function unboundHost(): SdkHost {
  const fail = (): never => {
    throw new SdkError('NOT_IN_RUNTIME', '@openflows/sdk only works inside an OpenFlows flow run (try `openflows dev <flow>`)');
  };
  const store: FlowStore = { get: fail, set: fail, del: fail };
  const log: FlowLogger = { debug: fail, info: fail, warn: fail, error: fail };
  return {
    listen: fail,
    chatCompletion: fail,
    github: fail,
    githubContext: fail,
    slack: fail,
    slackContext: fail,
    store,
    call: fail,
    context: fail,
    env: fail,
    log,
  };
}
