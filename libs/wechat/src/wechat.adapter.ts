import { Injectable } from '@nestjs/common';
import {
  ReplyWindow,
  failingCapabilities,
  type EventRouting,
  type ProviderAdapter,
  type ProviderCard,
  type ProviderConnections,
  type ProviderRunBinding,
  type ProviderSubscriptions,
  type RoutedEvent,
  type SubscriptionDeclaration,
} from '@openflows/common';
import { ConnectionsRepository, FlowsRepository } from '@openflows/db';
import { SdkError, type ChatContext } from '@openflows/sdk';
import { appIdOf, dedupKey, type WechatPush } from './messages';
import { WechatAccessTokens } from './wechat-access-tokens.service';
import { ACCOUNT_KIND, WechatAccountsService, type WechatAccount } from './wechat-accounts.service';
import { WechatApi } from './wechat-api';
import { WECHAT_CAPABILITIES, wechatCapabilities } from './wechat-capabilities';
import { WechatIngress, replyWindowId } from './wechat-ingress';

const NO_CHAT: ChatContext = { account: '', chatId: '', sender: { id: '' } };

const CARD: ProviderCard = {
  title: 'WeChat Official Account',
  icon: 'WX',
  connectedText: 'WeChat is connected. Flows on this Official Account now receive its followers’ messages.',
  empty: 'Not connected. Connect an Official Account with its AppID and AppSecret, then paste the server URL into its console.',
  fields: [
    { name: 'appId', label: 'AppID', hint: 'Basic configuration → AppID (wx…)' },
    { name: 'appSecret', label: 'AppSecret', secret: true },
    { name: 'token', label: 'Token', secret: true, hint: 'the Token of the server configuration, 3–32 letters or digits' },
    {
      name: 'encodingAesKey',
      label: 'EncodingAESKey',
      secret: true,
      optional: true,
      hint: '43 characters; needed for the compatible and safe modes',
    },
  ],
  source: 'wechat.chat(appId, openId | "*")',
  docs: 'wechat-official-account',
};

/** The account part (AppID or name, lower-case) of a `wechat.chat(account, openId)` target. */
const accountOf = (target: string) => target.slice(0, target.indexOf('/'));

/**
 * WeChat Official Accounts as a provider: accounts connected with AppID and AppSecret, the server URL
 * per account (WechatIngress, passive replies through the ReplyWindow), routing to the connection's
 * owner, and `wechat.sendMessage` / `wechat.client` bound into runs with the account's access token.
 * A push matches subscriptions under `<AppID>/<OpenID>`, `<name>/<OpenID>` and the same with `*`
 * (lower-case); names `message` (every standard message; `action` is its MsgType) and the lower-cased
 * event (`subscribe`, `unsubscribe`, `scan`, `click`, …). WeChat never pushes the account's own messages.
 */
@Injectable()
export class WechatAdapter implements ProviderAdapter {
  readonly id = 'wechat';

  readonly connections: ProviderConnections = {
    card: () => CARD,
    connect: (ownerId, body) => this.accounts.connect(ownerId, body),
    details: (connection) => [`server URL ${this.accounts.serverUrl(connection.id)}`],
  };

  /** A subscription is registered once an account it names (by AppID or name) is connected and active. */
  readonly subscriptions: ProviderSubscriptions = {
    check: async (ownerId, subscriptions) => {
      const accounts = await this.connectedAccounts(ownerId);
      return subscriptions.map((s) => accounts.has(accountOf(s.target)));
    },
    explain: (unregistered: SubscriptionDeclaration[]) =>
      [...new Set(unregistered.map((s) => accountOf(s.target)))]
        .map((account) => `No WeChat Official Account ${account} is connected: connect it with POST /api/connections/wechat`)
        .join('; '),
    sync: (ownerId) => this.sync(ownerId),
  };

  constructor(
    private readonly accounts: WechatAccountsService,
    private readonly tokens: WechatAccessTokens,
    private readonly api: WechatApi,
    private readonly replies: ReplyWindow,
    private readonly connectionRows: ConnectionsRepository,
    private readonly flows: FlowsRepository,
    readonly ingress: WechatIngress,
  ) {}

  /** Nothing to keep: an unsubscribe ends a follower, not the connection. */
  async applyBookkeeping(): Promise<void> {}

  async route(event: RoutedEvent): Promise<EventRouting> {
    const account = await this.accounts.byAppId(appIdOf(event.deliveryId));
    if (!account?.ownerId || account.status !== 'active') return { dropped: 'the Official Account is not connected' };
    return { owners: [account.ownerId], targets: targetsOf(account, pushOf(event)), events: [event.name] };
  }

  async bindRun(ownerId: string, event: RoutedEvent): Promise<ProviderRunBinding> {
    const account = await this.accounts.byAppId(appIdOf(event.deliveryId));
    if (!account || account.ownerId !== ownerId || account.status !== 'active') {
      return this.failing(`the Official Account ${appIdOf(event.deliveryId)} is not connected by this flow's owner`);
    }
    const push = pushOf(event);
    const app = { appId: account.appId, appSecret: account.appSecret };
    return {
      context: {
        account: account.name,
        chatId: push.FromUserName,
        ...(push.MsgId ? { messageId: push.MsgId } : {}),
        sender: { id: push.FromUserName },
      } satisfies ChatContext,
      capabilities: wechatCapabilities({
        openId: push.FromUserName,
        pushKey: dedupKey(push),
        call: (method, path, query, body) => this.tokens.withToken(app, (token) => this.api.call(method, path, token, query, body)),
        deliverPassive: (input) => this.replies.deliver(replyWindowId(event.deliveryId), input),
      }),
      targets: targetsOf(account, push),
      names: [event.name],
    };
  }

  unbound(): ProviderRunBinding {
    return this.failing('wechat is only bound for WeChat events');
  }

  private failing(why: string): ProviderRunBinding {
    return { context: NO_CHAT, capabilities: failingCapabilities(WECHAT_CAPABILITIES, () => new SdkError('NOT_CONNECTED', why)) };
  }

  /** AppIDs and names (lower-case) of the owner's active accounts. */
  private async connectedAccounts(ownerId: string): Promise<Set<string>> {
    const active = (await this.connectionRows.list(ownerId)).filter(
      (c) => c.provider === 'wechat' && c.kind === ACCOUNT_KIND && c.status === 'active',
    );
    return new Set(active.flatMap((c) => [c.externalId.toLowerCase(), c.accountLogin.toLowerCase()]));
  }

  /** Sets the `registered` flags of the owner's live WeChat subscriptions from their connected accounts. */
  private async sync(ownerId: string): Promise<void> {
    const accounts = await this.connectedAccounts(ownerId);
    const targets = new Set((await this.flows.liveSubscriptions('wechat', ownerId)).map((s) => s.target));
    for (const target of targets) await this.flows.setRegistered(ownerId, 'wechat', target, accounts.has(accountOf(target)));
  }
}

function pushOf(event: RoutedEvent): WechatPush {
  return event.payload as WechatPush;
}

/** Every target a push matches: its follower and `*`, under the account's AppID and name, lower-case. */
function targetsOf(account: WechatAccount, push: WechatPush): string[] {
  const names = new Set([account.appId, account.name]);
  return [...names].flatMap((name) => [`${name}/${push.FromUserName}`, `${name}/*`]).map((t) => t.toLowerCase());
}
