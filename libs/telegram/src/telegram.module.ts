import { Module } from '@nestjs/common';
import { TelegramAdapter } from './telegram.adapter';
import { TelegramConnectionsService } from './telegram-connections.service';
import { TelegramIngress } from './telegram-ingress';

/** Telegram integration: bots connected with their token, their webhook, routing and run bindings. Needs config and db. */
const providers = [TelegramAdapter, TelegramIngress, TelegramConnectionsService];

@Module({ providers, exports: providers })
export class TelegramModule {}
