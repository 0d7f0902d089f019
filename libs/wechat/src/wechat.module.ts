import { Module } from '@nestjs/common';
import { PassiveReplies } from './passive-replies';
import { WechatAccessTokens } from './wechat-access-tokens.service';
import { WechatAccountsService } from './wechat-accounts.service';
import { WechatApi } from './wechat-api';
import { WechatIngress } from './wechat-ingress';
import { WechatAdapter } from './wechat.adapter';

/** WeChat Official Accounts: connections, the server URL ingress, access tokens and runs' calls. Needs config, db and Redis. */
const providers = [WechatAdapter, WechatIngress, WechatAccountsService, WechatAccessTokens, WechatApi, PassiveReplies];

@Module({ providers, exports: providers })
export class WechatModule {}
