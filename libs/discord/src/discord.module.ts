import { Module } from '@nestjs/common';
import { DiscordAdapter } from './discord.adapter';
import { DiscordAppsService } from './discord-apps.service';
import { DiscordCommandsService } from './discord-commands.service';
import { DiscordGatewayService } from './discord-gateway.service';
import { DiscordIngress } from './discord-ingress';
import { DiscordRestService } from './discord-rest';

/**
 * Discord integration: connected applications, their interactions endpoint, slash commands, bot
 * clients and the Gateway role (on where `DISCORD_GATEWAY=1`). Needs config, db and Redis.
 */
const providers = [DiscordAdapter, DiscordIngress, DiscordAppsService, DiscordCommandsService, DiscordRestService, DiscordGatewayService];

@Module({ providers, exports: providers })
export class DiscordModule {}
