import { Module } from '@nestjs/common';
import { LarkAdapter } from './lark.adapter';
import { LarkConnectionsService } from './lark-connections.service';
import { LarkIngress } from './lark-ingress';

/** Feishu/Lark integration: app connections, the webhook, routing and the SDK Client of runs. Needs config and db. */
const providers = [LarkAdapter, LarkIngress, LarkConnectionsService];

@Module({ providers, exports: providers })
export class LarkModule {}
