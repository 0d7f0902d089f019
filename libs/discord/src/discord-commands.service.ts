import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Routes } from 'discord.js';
import type { Redis } from 'ioredis';
import { APP_CONFIG, REDIS, redisKey, type AppConfig } from '@openflows/common';
import type { DiscordCommand } from '@openflows/sdk';
import type { DiscordApplication } from './discord-apps.service';
import { createDiscordRest } from './discord-rest';

/** A subscription as registration reads it: its target `<account>/<chat>` and the options `discord.commands` stored. */
export interface CommandDeclaration {
  target: string;
  options?: Record<string, unknown> | null;
}

/** The account part (application id or name, lower-case) of a `discord.*(account, …)` target. */
export const accountOf = (target: string) => target.slice(0, target.indexOf('/'));

/** Whether a target's account names application `app` (by id or by name, case-insensitively). */
export function namesApp(app: Pick<DiscordApplication, 'applicationId' | 'name'>, account: string): boolean {
  return account === app.applicationId.toLowerCase() || account === app.name.toLowerCase();
}

/**
 * The slash commands `declarations` ask of one application, by name, sorted: each command once (the
 * first declaration of a name wins; the others are reported in `conflicts`).
 */
export function commandsOf(declarations: CommandDeclaration[]): { commands: DiscordCommand[]; conflicts: string[] } {
  const byName = new Map<string, DiscordCommand>();
  const conflicts = new Set<string>();
  for (const declaration of declarations) {
    const commands = declaration.options?.commands;
    if (!Array.isArray(commands)) continue;
    for (const command of commands as DiscordCommand[]) {
      const seen = byName.get(command.name);
      if (!seen) byName.set(command.name, command);
      else if (JSON.stringify(seen) !== JSON.stringify(command)) conflicts.add(command.name);
    }
  }
  const commands = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { commands, conflicts: [...conflicts].sort() };
}

/**
 * Registers the slash commands flows declare with `discord.commands` as the application's global
 * commands (`PUT /applications/{application.id}/commands`, Discord's bulk overwrite, with the bot
 * token). The platform owns an application's global commands once it registered some: it remembers
 * a digest of the last list it sent (Redis, per connection) to skip repeating it, and to leave alone
 * the commands of an application it never registered any for.
 */
@Injectable()
export class DiscordCommandsService {
  private readonly logger = new Logger(DiscordCommandsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /**
   * Makes `app`'s global commands `commands` (none: removes the ones the platform registered).
   * @throws the REST error when Discord refuses the list or cannot be reached (the digest is kept as it was).
   */
  async register(app: DiscordApplication, commands: DiscordCommand[]): Promise<void> {
    const key = redisKey(this.config, 'discord', 'commands', app.connectionId);
    const digest = createHash('sha256').update(JSON.stringify(commands)).digest('hex');
    const last = await this.redis.get(key);
    if (last === digest || (last === null && commands.length === 0)) return;
    await createDiscordRest(this.config, app.botToken).put(Routes.applicationCommands(app.applicationId), { body: commands });
    if (commands.length === 0) await this.redis.del(key);
    else await this.redis.set(key, digest);
    this.logger.log(
      `Discord application ${app.applicationId}: ${commands.length} command(s) registered (${commands.map((c) => c.name).join(', ')})`,
    );
  }
}
