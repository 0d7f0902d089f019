/**
 * Shapes shared by flow authors and the platform. This file is the contract of `@openflows/sdk`:
 * change it only in ways that keep existing flows working (breaking SDK changes break users' flows).
 */

/**
 * Where events come from. Built with `github.repo(owner, repo)`, `slack.channel(team, channel)` or a
 * chat app's `<app>.chat(account, chatId)`; compared case-insensitively.
 */
export interface EventSource {
  /** The provider's id, which is also its SDK namespace: `github`, `slack`, `telegram`, … */
  provider: string;
  /** `owner/repo` for GitHub; `team/channel` for Slack; `account/chatId` (or `account/*`) for chat apps. */
  target: string;
  /**
   * What the platform must set up for this source at deploy, as JSON (e.g. the slash commands of
   * `discord.commands`); stored with the subscription and handed to the provider's registration.
   */
  options?: Record<string, unknown>;
}

/** An event as a flow handler receives it. */
export interface FlowEvent<Payload = any> {
  /** Our id of the event (stable across redeliveries of the same delivery). */
  id: string;
  /** The provider's id (`github`, `slack`, `telegram`, …), as in {@link EventSource.provider}. */
  provider: string;
  /** The vendor's event name: `issues`, `issue_comment` (GitHub's `X-GitHub-Event`); `message`, `app_mention` (Slack's `event.type`). */
  name: string;
  /** `payload.action` when the vendor sends one (`opened`, `created`, …); Slack: `event.subtype`. */
  action?: string;
  /** The vendor's delivery id (`X-GitHub-Delivery`; Slack's `event_id`). */
  deliveryId: string;
  /** The body exactly as the vendor sent it, parsed from JSON (Slack: the `event_callback`; the message is `payload.event`). */
  payload: Payload;
}

export type EventHandler = (event: FlowEvent) => unknown;

/** Options of {@link ChatCompletion}; every field is optional. */
export interface ChatOptions {
  /** Model name; defaults to the key's default model, then `gpt-4o-mini`. */
  model?: string;
  /** Sent first on every call of the conversation; never dropped when the history is fitted. */
  systemPrompt?: string;
  /** Start the conversation over, forgetting its history. */
  restart?: boolean;
  /** Sampling temperature, 0 to 2. */
  temperature?: number;
  /** Upper bound of tokens in the answer; also reserved when the history is fitted to the window. */
  maxTokens?: number;
}

/** What {@link ChatCompletion} resolves to. */
export interface ChatResponse {
  /** The assistant's answer text. */
  choice: string;
  /** Tokens the provider counted for this call. */
  usage: { promptTokens: number; completionTokens: number };
  /**
   * True when this call started a new conversation: the first call for the id, `restart: true`, or a
   * conversation that expired after the configured time without messages (flows.network semantics).
   */
  restarted: boolean;
}

/**
 * Asks the LLM behind the named secret `keyName`, continuing the conversation `conversationId`
 * (a short string such as `issue#42`, scoped to the flow). History is kept by the platform.
 * @throws SdkError code `SECRET_NOT_FOUND` when no secret has that name, `LLM_FAILED` when the
 *   provider keeps failing after retries.
 */
export type ChatCompletion = (keyName: string, conversationId: string, text: string, options?: ChatOptions) => Promise<ChatResponse>;

/** Per-flow key/value store; values are JSON. */
export interface FlowStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** @param options.ttl seconds until the key expires; none means it is kept. */
  set(key: string, value: unknown, options?: { ttl?: number }): Promise<void>;
  del(key: string): Promise<void>;
}

export type LogFields = Record<string, unknown>;

/** Log lines kept with the run and shown in its log. */
export interface FlowLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** What the platform knows about the GitHub side of the current event. */
export interface GithubContext {
  /** Owner and name of the event's repository, ready to spread into Octokit calls. */
  repo: { owner: string; repo: string };
  /** Login of the App's bot user (`<slug>[bot]`), to recognise the bot's own comments. */
  botLogin?: string;
}

/**
 * What the platform knows about the Slack side of the current event: the workspace, and the
 * {@link ChatContext} fields every chat app has, so a flow moves to `telegram` or `discord` by
 * changing one word. `account` is the team id, `chatId` the channel id, `threadId` the thread the
 * message is in (its `thread_ts`) or, for a top-level message or mention, the thread it starts (its
 * `ts`: answer there to keep the exchange together), `messageId` the message's `ts`; a slash command
 * has no thread or message. Outside Slack events every string is empty.
 */
export interface SlackContext extends ChatContext {
  /** The workspace's team id (`T…`) and name. */
  teamId: string;
  teamName: string;
  /** The user id of the app's bot in this workspace; its messages never reach flows. */
  botUserId?: string;
}

/**
 * What the platform knows about a chat app's side of the current event (`telegram.context`, …): the
 * same fields for every chat app, so a flow moves between them by changing one word.
 */
export interface ChatContext {
  /** The connected bot's or app's name (Telegram: the bot's username; Discord: the application's name…). */
  account: string;
  /** The chat the event happened in, as the vendor names it (Telegram chat id, Discord channel id, …). */
  chatId: string;
  /** The thread or forum topic within the chat, when there is one. */
  threadId?: string;
  /** The vendor's id of the message that caused the event, to reply to. */
  messageId?: string;
  /** Who sent it; `isBot` is true for bots (the platform never routes the bot's own messages). */
  sender: { id: string; name?: string; isBot?: boolean };
}

/** Options of a chat app's `sendMessage`; vendors add their own (Telegram's `parseMode`). */
export interface ChatMessageOptions {
  /** Reply to this message id (quoted where the vendor shows replies). */
  replyTo?: string;
  /** Post in this thread or forum topic. */
  threadId?: string;
  [vendorOption: string]: unknown;
}

/** Error codes the SDK throws; match on `code`, never on the message. */
export type SdkErrorCode =
  | 'NOT_IN_RUNTIME'
  | 'NOT_IN_HANDLER'
  | 'MISSING_ENV'
  | 'SECRET_NOT_FOUND'
  | 'LLM_FAILED'
  | 'GITHUB_NOT_CONNECTED'
  | 'SLACK_NOT_CONNECTED'
  /** A chat app's client was used in a run whose event does not come from a connected account of it. */
  | 'NOT_CONNECTED'
  | 'INVALID_ARGUMENT'
  /** The run used more CPU time than its limit (`FLOW_CPU_MS`, `openflows.limits.cpuMs`). */
  | 'LIMIT_CPU'
  /** The run took longer than its wall-time limit, awaited SDK calls included. */
  | 'LIMIT_WALL'
  /** The flow's isolate ran out of heap. */
  | 'LIMIT_MEMORY'
  /** The run wrote more log lines or bytes than a run may keep. */
  | 'LIMIT_LOG'
  /** A value handed to the platform (SDK call arguments, a handler's result) is larger than allowed. */
  | 'LIMIT_OUTPUT'
  /** The run made more `fetch` requests, or got a larger response, than allowed. */
  | 'LIMIT_FETCH'
  /** `fetch` to an address the egress policy refuses (loopback, private, link-local, metadata…). */
  | 'EGRESS_REFUSED'
  /** `fetch` failed: DNS, connection, TLS, timeout, too many redirects. */
  | 'FETCH_FAILED'
  /** A GitHub or Slack API call failed; `status` (HTTP) and `data` (the vendor's error body) say why. */
  | 'REQUEST_FAILED';

/** What a failed vendor call adds to an {@link SdkError} (REQUEST_FAILED, FETCH_FAILED). */
export interface SdkErrorDetails {
  /** The HTTP status the vendor answered with. */
  status?: number;
  /** The vendor's error body, parsed from JSON (GitHub's `{ message, documentation_url }`, Slack's `{ ok: false, error }`). */
  data?: unknown;
}

/** The one error class the SDK throws. */
export class SdkError extends Error {
  override readonly name = 'SdkError';
  readonly status?: number;
  readonly data?: unknown;
  constructor(
    readonly code: SdkErrorCode,
    message: string,
    details: SdkErrorDetails = {},
  ) {
    super(message);
    if (details.status !== undefined) this.status = details.status;
    if (details.data !== undefined) this.data = details.data;
  }
}
