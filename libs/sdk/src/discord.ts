import { chatApp, type ChatApp } from './chat-app';
import type { SdkHost } from './host';
import { SdkError, type ChatMessageOptions, type EventSource } from './types';

/**
 * An option of a slash command, as Discord's API takes it ("Application Command Option Structure"):
 * `type` 1 SUB_COMMAND, 2 SUB_COMMAND_GROUP, 3 STRING, 4 INTEGER, 5 BOOLEAN, 6 USER, 7 CHANNEL,
 * 8 ROLE, 9 MENTIONABLE, 10 NUMBER, 11 ATTACHMENT. Other fields of Discord's (`choices`,
 * `min_length`, `channel_types`…) are passed on as given.
 */
export interface DiscordCommandOption {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  /** Sub-command and group options only. */
  options?: DiscordCommandOption[];
  [field: string]: unknown;
}

/**
 * A slash command (`CHAT_INPUT`) the platform registers for the flow at deploy
 * (`PUT /applications/{application.id}/commands`). Other fields of Discord's application command
 * (`default_member_permissions`, `contexts`, `nsfw`…) are passed on as given.
 */
export interface DiscordCommand {
  /** 1-32 characters, lower-case letters, digits, `-`, `_` or `'` (Discord's naming rule). */
  name: string;
  /** 1-100 characters. */
  description: string;
  /** At most 25, required ones first. */
  options?: DiscordCommandOption[];
  [field: string]: unknown;
}

/** `discord` in a flow: the chat-app shape shared with Telegram, Lark and WeChat, and slash commands. */
export interface DiscordApp extends ChatApp<ChatMessageOptions> {
  /**
   * The source for `listenToEvent` of the slash commands `commands` of the connected application
   * `account` (its name or id), in every channel: the platform registers them at deploy and each
   * invocation is an event named after its command (`ask`). Inside such a run, `sendMessage` to the
   * interaction's channel answers the interaction (the first call fills in Discord's "thinking…"
   * message, later ones are follow-ups).
   * @throws SdkError INVALID_ARGUMENT for a bad account or a command Discord would refuse.
   */
  commands(account: string, commands: DiscordCommand[]): EventSource;
}

/** Discord's rule for CHAT_INPUT command and option names, which must use lower-case where a letter has one. */
const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
/** Discord's limits: options per command or sub-command, global slash commands per application. */
const MAX_OPTIONS = 25;
const MAX_COMMANDS = 100;

const invalid = (message: string) => new SdkError('INVALID_ARGUMENT', `discord.commands: ${message}`);

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name) || name !== name.toLowerCase()) {
    throw invalid(`${what} name ${JSON.stringify(name)} must be 1-32 lower-case letters, digits, - _ or '`);
  }
  return name;
}

function checkDescription(description: unknown, what: string): void {
  if (typeof description !== 'string' || description.length < 1 || description.length > 100) {
    throw invalid(`${what} needs a description of 1-100 characters`);
  }
}

function checkOptions(options: unknown, what: string): void {
  if (options === undefined) return;
  if (!Array.isArray(options) || options.length > MAX_OPTIONS) throw invalid(`${what}: options must be a list of at most ${MAX_OPTIONS}`);
  const names = new Set<string>();
  let optionalSeen = false;
  for (const option of options as Partial<DiscordCommandOption>[]) {
    if (option === null || typeof option !== 'object') throw invalid(`${what}: every option must be an object`);
    const name = checkName(option.name, `${what}: option`);
    if (names.has(name)) throw invalid(`${what}: option ${name} is declared twice`);
    names.add(name);
    if (!Number.isInteger(option.type) || (option.type as number) < 1 || (option.type as number) > 11) {
      throw invalid(`${what}: option ${name} needs a type from 1 to 11`);
    }
    checkDescription(option.description, `${what}: option ${name}`);
    if (option.required === true && optionalSeen) throw invalid(`${what}: required option ${name} must come before optional ones`);
    if (option.required !== true) optionalSeen = true;
    checkOptions(option.options, `${what} ${name}`);
  }
}

/**
 * `discord.commands(account, commands)`'s source: `{ provider: 'discord', target: '<account>/*',
 * options: { commands } }` (lower-cased target, commands as JSON copies).
 * @throws SdkError INVALID_ARGUMENT (see {@link DiscordApp.commands}).
 */
export function discordCommandsSource(account: string, commands: DiscordCommand[]): EventSource {
  if (typeof account !== 'string' || account === '' || account.includes('/')) {
    throw invalid(`the account must be the application's name or id, got ${JSON.stringify(account)}`);
  }
  if (!Array.isArray(commands) || commands.length === 0 || commands.length > MAX_COMMANDS) {
    throw invalid(`needs a list of 1 to ${MAX_COMMANDS} commands`);
  }
  const names = new Set<string>();
  for (const command of commands) {
    if (command === null || typeof command !== 'object') throw invalid('every command must be an object');
    const name = checkName(command.name, 'command');
    if (names.has(name)) throw invalid(`command ${name} is declared twice`);
    names.add(name);
    if (command.type !== undefined && command.type !== 1) throw invalid(`command ${name} must be a slash command (type 1)`);
    checkDescription(command.description, `command ${name}`);
    checkOptions(command.options, `command ${name}`);
  }
  // A copy the platform can store: functions or cycles in a declaration fail here, not at deploy.
  let copied: DiscordCommand[];
  try {
    copied = JSON.parse(JSON.stringify(commands)) as DiscordCommand[];
  } catch {
    throw invalid('commands must be plain JSON');
  }
  return { provider: 'discord', target: `${account}/*`.toLowerCase(), options: { commands: copied } };
}

/** The SDK's `discord` namespace, bound to `host`. */
export function discordApp(host: SdkHost): DiscordApp {
  return Object.assign(chatApp(host, 'discord'), { commands: discordCommandsSource });
}
