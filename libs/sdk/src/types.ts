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

/**
 * One message of a chat as flows see it (the `messages` form of `chatCompletion`, and
 * {@link ChatResponse.messages}): OpenAI's chat message, camel-cased.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** The text; empty for an assistant message that only calls tools. */
  content: string;
  /** Assistant messages: the tools the model asked for. */
  toolCalls?: ToolCall[];
  /** Tool messages: the id of the {@link ToolCall} this is the result of. */
  toolCallId?: string;
}

/** A tool call the model asked for: `arguments` is JSON text as the model wrote it (not always valid). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * A function the model may call during one `chatCompletion` (OpenAI's function tool). The platform
 * runs the call loop; `handler` runs in the flow with the parsed arguments and its result (a string,
 * or any JSON value, sent as JSON text) goes back to the model. A handler that throws sends
 * `Error: <message>` to the model instead, which may try again or answer without it.
 */
export interface ChatTool<Args = any> {
  /** `a-z`, `A-Z`, `0-9`, `_` and `-`, at most 64 characters. */
  name: string;
  description?: string;
  /** JSON Schema of the arguments object; none: a function without arguments. */
  parameters?: Record<string, unknown>;
  handler(args: Args): unknown;
}

/**
 * The answer's format (OpenAI's `response_format`): plain text, any JSON object, or JSON that matches
 * `schema` (Structured Outputs; `name` as a tool's name, `strict` to have the model follow it exactly).
 */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean };

/** Options of {@link ChatCompletionCall}; every field is optional. */
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
  /**
   * Text put before the user's text for this call only (joined by a blank line); the history keeps
   * the text as the flow gave it. For instructions such as "Answer in French:".
   */
  prePrompt?: string;
  /** Text put after the user's text for this call only (joined by a blank line), like `prePrompt`. */
  postPrompt?: string;
  /** Nucleus sampling, 0 to 1 (`top_p`). */
  topP?: number;
  /** Up to 4 sequences where the model stops; the answer does not contain them. */
  stop?: string | string[];
  /** -2 to 2: positive values make new topics likelier (`presence_penalty`). */
  presencePenalty?: number;
  /** -2 to 2: positive values make repeating the same words less likely (`frequency_penalty`). */
  frequencyPenalty?: number;
  /** The answer's format, e.g. JSON matching a schema; the answer is still text in `choice` (parse it). */
  responseFormat?: ResponseFormat;
  /**
   * Retries of this call when the provider answers 408, 409, 429 or 5xx or cannot be reached (with
   * backoff, honouring `Retry-After`); default the platform's `LLM_MAX_RETRIES`. 0 to 10.
   */
  retryTimes?: number;
  /** Answer as a {@link ChatStream} of text deltas instead of a promise of the whole answer. */
  stream?: boolean;
  /** Functions the model may call; the platform runs the call loop (see {@link ChatTool}). */
  tools?: ChatTool[];
  /** Model calls at most that ask for tools before the model must answer in text; default 5, at most 10. */
  maxToolRounds?: number;
}

/** What {@link ChatCompletionCall} resolves to. */
export interface ChatResponse {
  /** The assistant's answer text. */
  choice: string;
  /** Tokens the provider counted for this call (every model call of it added up). */
  usage: { promptTokens: number; completionTokens: number };
  /**
   * True when this call started a new conversation: the first call for the id, `restart: true`, or a
   * conversation that expired after the configured time without messages (flows.network semantics).
   * Always false in the `messages` form.
   */
  restarted: boolean;
  /**
   * The messages this call produced, oldest first: for each tool round the assistant's tool calls
   * and the tool results, then the answer. A flow that keeps its own list appends them to it.
   */
  messages?: ChatMessage[];
}

/**
 * A streamed answer: iterate it (`for await (const delta of stream)`) for the answer's text as it is
 * written, in pieces; `response` resolves with the whole {@link ChatResponse} once the model is done
 * (the history is stored once, then). The answer is read whether or not the flow iterates; one
 * iteration at a time gets each delta once. Errors reject `response` and end the iteration with the
 * same SdkError.
 */
export interface ChatStream extends AsyncIterable<string> {
  readonly response: Promise<ChatResponse>;
}

/**
 * The basic call: asks the LLM behind the named secret `keyName`, continuing the conversation
 * `conversationId` (a short string such as `issue#42`, scoped to the flow). History is kept by the
 * platform. See {@link ChatCompletionCall} for every form.
 * @throws SdkError code `SECRET_NOT_FOUND` when no secret has that name, `LLM_FAILED` when the
 *   provider keeps failing after retries, `BUDGET_EXCEEDED` when the flow used its monthly tokens.
 */
export type ChatCompletion = (keyName: string, conversationId: string, text: string, options?: ChatOptions) => Promise<ChatResponse>;

/**
 * `chatCompletion` as flows call it. With a conversation id and a text the platform keeps the history
 * (see {@link ChatCompletion}); with a list of messages (the `messages` form) it sends that list as it
 * is (after `systemPrompt`, if given) and stores nothing. `{ stream: true }` returns a
 * {@link ChatStream} instead of a promise.
 * @throws SdkError `SECRET_NOT_FOUND`, `LLM_FAILED`, `BUDGET_EXCEEDED`, `INVALID_ARGUMENT` (a bad
 *   option, a text or list larger than the model's context window).
 */
export interface ChatCompletionCall {
  (keyName: string, conversationId: string, text: string, options: ChatOptions & { stream: true }): ChatStream;
  (keyName: string, conversationId: string, text: string, options?: ChatOptions): Promise<ChatResponse>;
  (keyName: string, messages: ChatMessage[], options: ChatOptions & { stream: true }): ChatStream;
  (keyName: string, messages: ChatMessage[], options?: ChatOptions): Promise<ChatResponse>;
}

/** Options of `createImage`. */
export interface ImageOptions {
  /** `1024x1024` (default of most models), `1792x1024`, `512x512`, …: what the model supports. */
  size?: string;
  /** Images to make, 1 to 10 (`dall-e-3`: 1). */
  n?: number;
  /** Default: the provider's (`dall-e-2` at OpenAI). */
  model?: string;
  /** `standard`, `hd`, `low`, `medium`, `high`, `auto`. */
  quality?: string;
  /** `url` (links valid about an hour) or `b64_json`; GPT image models always answer `b64_json`. */
  responseFormat?: 'url' | 'b64_json';
}

/** What `createImage` resolves to: each image as a URL or as base64 bytes (PNG unless asked otherwise). */
export interface ImageResponse {
  images: { url?: string; b64Json?: string; revisedPrompt?: string }[];
}

/**
 * Audio for `transcribe`: bytes in base64, or a URL the platform downloads under the flow's egress
 * policy (counted as one of the run's `fetch` requests). `filename`'s extension tells the provider
 * the format (`.wav`, `.mp3`, `.ogg`, `.m4a`, `.webm`, …); default `audio.wav`, or the URL's last part.
 */
export type AudioInput = { base64: string; filename?: string } | { url: string; filename?: string };

/** Options of `transcribe`. */
export interface TranscribeOptions {
  /** ISO-639-1 code of the spoken language (`en`, `de`, …); improves accuracy and speed. */
  language?: string;
  /** Default `whisper-1`. */
  model?: string;
  /** Text that guides the style or continues a previous segment. */
  prompt?: string;
}

/** What `transcribe` resolves to. */
export interface TranscribeResponse {
  text: string;
}

/** Options of `createEmbeddings`. */
export interface EmbeddingsOptions {
  /** Default `text-embedding-3-small`. */
  model?: string;
  /** Length of each vector, for models that can shorten theirs (`text-embedding-3-*`). */
  dimensions?: number;
}

/** What `createEmbeddings` resolves to: one vector per input, in input order. */
export interface EmbeddingsResponse {
  embeddings: number[][];
  usage: { promptTokens: number };
}

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

/**
 * A request to an endpoint flow (`http.endpoint(name)`), as the `payload` of its `request` event.
 * The platform answers the caller with what the handler returns (see {@link HttpResponse}).
 */
export interface HttpRequest {
  /** `GET`, `POST`, … as received. */
  method: string;
  /** The path below the endpoint's URL, from `/`: `/f/<key>/search` → `/search`, `/f/<key>` → `/`. */
  path: string;
  /** Query parameters (the first value of a repeated one). */
  query: Record<string, string>;
  /**
   * Header values by lower-cased name (the first of a repeated header); without `authorization` when
   * the endpoint checks a bearer token (the caller's token is not the flow's to keep).
   */
  headers: Record<string, string>;
  /** The body as UTF-8 text; `''` without one. */
  body: string;
  /** The body parsed, when its content type is JSON (`application/json`, `…+json`) and it parses. */
  json?: unknown;
}

/** What an endpoint handler returns: the HTTP answer. Build it with `http.json` or `http.response`. */
export interface HttpResponse {
  /** 100–599. */
  status: number;
  /** Header values by name; `content-type` among them (hop-by-hop headers such as `connection` are dropped). */
  headers: Record<string, string>;
  /** Sent as UTF-8 text. */
  body: string;
}

/**
 * How an endpoint authenticates its callers; none: anyone with the URL may call it. Secrets are named
 * generic secrets of the flow's owner (`PUT /api/secrets/<name>`), compared in constant time.
 */
export type EndpointAuth =
  /** `Authorization: Bearer <token>` where the token is the value of the named secret. */
  | { bearer: string }
  /**
   * A signature of the raw body in header `header`: `prefix` + HMAC(`algorithm`, secret, body) in
   * `encoding` (GitHub's `X-Hub-Signature-256` is `{ header: 'x-hub-signature-256', algorithm: 'sha256', prefix: 'sha256=' }`).
   */
  | { hmac: { header: string; algorithm: 'sha1' | 'sha256' | 'sha512'; secret: string; prefix?: string; encoding?: 'hex' | 'base64' } };

/** HTTP methods an OpenAPI operation may have, lower-case as in OpenAPI's path items. */
export type OperationMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

/**
 * One operation of an endpoint, as OpenAPI 3.1 describes it: `path` below the endpoint's URL (may
 * hold `{name}` path parameters), `operation` an OpenAPI 3.1 operation object (`operationId`,
 * `summary`, `parameters`, `requestBody`, `responses`; `operationId` is required: it names the MCP
 * tool). Build one with `http.operation` or write the object yourself.
 */
export interface EndpointOperation {
  method: OperationMethod;
  path: string;
  operation: Record<string, unknown> & { operationId: string };
}

/** What an endpoint publishes about itself: `openapi.json`, the plugin manifest and an MCP server with a tool per operation. */
export interface EndpointOpenApi {
  /** The API's title (OpenAPI `info.title`, the manifest's `name_for_human`). */
  title: string;
  /** OpenAPI `info.description` and the manifest's descriptions. */
  description?: string;
  /** OpenAPI `info.version`; default `1.0.0`. */
  version?: string;
  operations: EndpointOperation[];
  /** Fields of `/.well-known/ai-plugin.json` that default from the title and description otherwise. */
  plugin?: { nameForModel?: string; descriptionForModel?: string; logoUrl?: string; contactEmail?: string; legalInfoUrl?: string };
}

/** Options of `http.endpoint(name, options)`; stored with the subscription at deploy. */
export interface EndpointOptions {
  auth?: EndpointAuth;
  openapi?: EndpointOpenApi;
}

/** A schedule's tick, as the `payload` of its `tick` event (`schedule.cron`, `schedule.every`). */
export interface ScheduleTick {
  /** When the tick was due (ISO 8601). */
  scheduledAt: string;
  /** When the platform fired it (ISO 8601): later than `scheduledAt` for the one catch-up tick after downtime. */
  firedAt: string;
  /** `schedule.cron`'s expression and time zone. */
  expression?: string;
  timezone?: string;
  /** `schedule.every`'s interval (ms). */
  every?: number;
}

/** Error codes the SDK throws; match on `code`, never on the message. */
export type SdkErrorCode =
  | 'NOT_IN_RUNTIME'
  | 'NOT_IN_HANDLER'
  | 'MISSING_ENV'
  | 'SECRET_NOT_FOUND'
  /** `getSecret` of an LLM key: LLM keys are used through `chatCompletion`, never read by a flow. */
  | 'SECRET_REFUSED'
  | 'LLM_FAILED'
  /** The flow used its monthly LLM token budget (`PUT /api/flows/:name/llm-budget`). */
  | 'BUDGET_EXCEEDED'
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
