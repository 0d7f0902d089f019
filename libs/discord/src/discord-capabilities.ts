import { Routes, type APIMessage, type REST, type RequestData } from 'discord.js';
import { objectArgument, textArgument, type EffectContext, type ProviderCapability } from '@openflows/common';
import { SdkError } from '@openflows/sdk';
import { requestFailed } from './discord-rest';

/** The capability names of `discord` in the guest (`libs/sdk/src/chat-app.ts`). */
export const DISCORD_CAPABILITIES = ['discord.sendMessage', 'discord.client'];

/** The interaction a run answers: its application, continuation token and where it was invoked. */
export interface AnsweredInteraction {
  applicationId: string;
  token: string;
  chatId: string;
  threadId?: string;
}

/** What the capabilities of one run act with. */
export interface DiscordRunClients {
  /** Authenticated as the application's bot (`Authorization: Bot <token>`). */
  rest: REST;
  /** The run's interaction, when its event is one. */
  interaction?: AnsweredInteraction;
}

const SNOWFLAKE = /^\d{1,20}$/;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

/** A channel, thread or message id. @throws SdkError INVALID_ARGUMENT for anything but a snowflake. */
function snowflake(value: unknown, what: string): string {
  const id = textArgument(value, what);
  if (!SNOWFLAKE.test(id)) throw new SdkError('INVALID_ARGUMENT', `${what} must be a Discord id (digits), got ${JSON.stringify(id)}`);
  return id;
}

/**
 * A route of Discord's REST API as `discord.client` takes it: a path under the API base, `/` and
 * segments of letters, digits and `-_.@:%` (snowflakes, `@me`, `@original`, URL-encoded emoji), never
 * `.`/`..` or an encoded dot, slash or backslash, so a flow cannot leave the API base.
 * @throws SdkError INVALID_ARGUMENT otherwise.
 */
export function restRoute(value: unknown): `/${string}` {
  const route = textArgument(value, 'the route');
  const segments = route.split('/').slice(1);
  const safe =
    route.startsWith('/') &&
    segments.length > 0 &&
    segments.every((s) => /^[\w\-.@:%]+$/.test(s) && s !== '.' && s !== '..') &&
    !/%(2e|2f|5c)/i.test(route);
  if (!safe)
    throw new SdkError(
      'INVALID_ARGUMENT',
      `the route must be a path of Discord's API such as /channels/123/messages, got ${JSON.stringify(route)}`,
    );
  return route as `/${string}`;
}

/** The request options a flow may give `discord.client`: a JSON `body`, `query` parameters and an audit-log `reason`. */
function requestData(value: unknown): RequestData {
  const { body, query, reason } = objectArgument(value, 'the request options') as { body?: unknown; query?: unknown; reason?: unknown };
  const params = objectArgument(query, 'query');
  return {
    ...(body !== undefined ? { body } : {}),
    ...(Object.keys(params).length > 0
      ? { query: new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])) }
      : {}),
    ...(reason !== undefined ? { reason: textArgument(reason, 'reason') } : {}),
  };
}

/** A REST answer as JSON: discord.js gives non-JSON answers (a 204's nothing) as bytes, which become their text or null. */
function jsonOf(result: unknown): unknown {
  if (!(result instanceof ArrayBuffer)) return result ?? null;
  return result.byteLength === 0 ? null : Buffer.from(result).toString('utf8');
}

/** Whether `sendMessage(chatId, …, { threadId })` is addressed to where the interaction was invoked. */
function answers(
  interaction: AnsweredInteraction | undefined,
  chatId: string,
  threadId: string | undefined,
): interaction is AnsweredInteraction {
  if (!interaction) return false;
  const here = interaction.threadId ?? interaction.chatId;
  return threadId === undefined ? chatId === interaction.chatId || chatId === here : threadId === here;
}

/** Discord's message flag of a deferred answer still "thinking" (LOADING, `1 << 7`). */
const LOADING = 1 << 7;

/**
 * Answers the run's interaction with `body`: fills in the deferred answer the first time
 * (`PATCH …/messages/@original`), posts a follow-up afterwards (`POST /webhooks/{app}/{token}`). On a
 * retried attempt the earlier one's answers are replayed from the effect journal, not sent again, so
 * the first call asks Discord whether the answer is still "thinking" before filling it in; one that
 * already shows this very text (the earlier attempt stopped before journaling it) is answered as is.
 */
async function answerInteraction(
  rest: REST,
  interaction: AnsweredInteraction,
  state: { answered: boolean },
  body: Record<string, unknown>,
  effect?: EffectContext,
): Promise<APIMessage> {
  const original = Routes.webhookMessage(interaction.applicationId, interaction.token, '@original');
  if (!state.answered && effect?.retry) {
    const current = (await rest.get(original, { auth: false })) as APIMessage;
    if (((current.flags ?? 0) & LOADING) === 0) {
      state.answered = true;
      if (current.content === body.content) return current;
    }
  }
  const first = !state.answered;
  state.answered = true;
  try {
    const answer = first
      ? await rest.patch(original, { body, auth: false })
      : await rest.post(Routes.webhook(interaction.applicationId, interaction.token), { body, auth: false });
    return answer as APIMessage;
  } catch (error) {
    if (first) state.answered = false;
    throw error;
  }
}

/** Whether a `discord` call has side effects (see ProviderRunBinding.isEffect): all but the client's `get`. */
export function isDiscordEffect(capability: string, [method]: unknown[]): boolean {
  return !(capability === 'discord.client' && method === 'get');
}

/**
 * The `discord` SDK calls of a run.
 * - `discord.sendMessage` `[chatId, text, { replyTo?, threadId?, ...message fields }]` → `{ messageId }`:
 *   addressed to the run's interaction's channel, the first call fills in the deferred answer
 *   (`PATCH /webhooks/{application.id}/{token}/messages/@original`) and later ones are follow-ups
 *   (`POST /webhooks/{application.id}/{token}`); otherwise `POST /channels/{thread or chat}/messages`
 *   as the bot, `replyTo` becoming a `message_reference`. Other options are fields of Discord's
 *   message body (`embeds`, `allowed_mentions`, `flags`…).
 * - `discord.client` `[method, [route, { body?, query?, reason? }]]`: `get`/`post`/`put`/`patch`/`delete`
 *   of any route under the API base as the bot, answering Discord's JSON.
 * Discord's refusals become SdkError REQUEST_FAILED with its status and `{ code, message }` body.
 */
export function discordCapabilities(clients: DiscordRunClients): Record<string, ProviderCapability> {
  const state = { answered: false };
  return {
    'discord.sendMessage': async ([chatIdArg, textArg, optionsArg], effect) => {
      const chatId = snowflake(chatIdArg, 'chatId');
      const content = textArgument(textArg, 'the text');
      const { replyTo, threadId, ...fields } = objectArgument(optionsArg, 'the options');
      const thread = threadId === undefined ? undefined : snowflake(threadId, 'threadId');
      const body = { ...fields, content };
      try {
        let message: APIMessage;
        if (answers(clients.interaction, chatId, thread)) {
          message = await answerInteraction(clients.rest, clients.interaction, state, body, effect);
        } else {
          const reference = replyTo === undefined ? {} : { message_reference: { message_id: snowflake(replyTo, 'replyTo') } };
          message = (await clients.rest.post(Routes.channelMessages(thread ?? chatId), { body: { ...body, ...reference } })) as APIMessage;
        }
        return { messageId: message.id };
      } catch (error) {
        throw requestFailed(error);
      }
    },
    'discord.client': async ([methodArg, argsArg]) => {
      const method = textArgument(methodArg, 'the client method');
      if (!(METHODS as readonly string[]).includes(method)) {
        throw new SdkError('INVALID_ARGUMENT', `discord.client has ${METHODS.join(', ')} (route, { body, query, reason }), not ${method}`);
      }
      const [route, options] = Array.isArray(argsArg) ? (argsArg as unknown[]) : [];
      const path = restRoute(route);
      const data = requestData(options);
      try {
        return jsonOf(await clients.rest[method as Method](path, data));
      } catch (error) {
        throw requestFailed(error);
      }
    },
  };
}
