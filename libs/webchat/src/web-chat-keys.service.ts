import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, CodedError, type AppConfig, type FlowRef, type SubscriptionDeclaration } from '@openflows/common';
import { WebChatsRepository } from '@openflows/db';
import { WEB_PROVIDER } from './envelope';

/** A web chat of a flow as `GET /api/flows/:name` lists it. */
export interface WebChatLink {
  name: string;
  /** `<PUBLIC_URL>/chat/<key>`: the page anyone with the link can open. */
  url: string;
  /** HTML to paste into another site's page: the chat in an iframe. */
  embed: string;
}

/** A new URL key: 24 random bytes, base64url (32 characters). */
const newKey = () => randomBytes(24).toString('base64url');

/** The URL keys of flows' web chats: made when a chat is first shown, kept across redeploys, rotated on request. */
@Injectable()
export class WebChatKeysService {
  constructor(
    private readonly chats: WebChatsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `webChats` of the flow's view: each chat its live deployment declares, with its URL (keys made as needed). */
  async describe(flow: FlowRef, subscriptions: SubscriptionDeclaration[]): Promise<{ webChats: WebChatLink[] }> {
    const names = [...new Set(subscriptions.filter((s) => s.provider === WEB_PROVIDER).map((s) => s.target))].sort();
    const keys = await this.chats.ensure(flow.id, Object.fromEntries(names.map((name) => [name, newKey()])));
    return { webChats: names.map((name) => this.link(name, keys[name])) };
  }

  /**
   * Gives the chat a new URL key: the old URL answers 404 at once and its visitors' sessions end.
   * @throws CodedError `WEB_CHAT_NOT_FOUND` when the flow's chat never had a URL.
   */
  async rotate(flowId: string, chat: string): Promise<WebChatLink> {
    const name = chat.toLowerCase();
    const key = newKey();
    if (!(await this.chats.rotate(flowId, name, key))) {
      throw new CodedError('WEB_CHAT_NOT_FOUND', `the flow has no web chat "${chat}" (web.chat(name) in its run())`);
    }
    return this.link(name, key);
  }

  private link(name: string, key: string): WebChatLink {
    const url = `${this.config.publicUrl}/chat/${key}`;
    const embed = `<iframe src="${url}" title="${name}" style="width:100%;max-width:480px;height:640px;border:0" allow="microphone"></iframe>`;
    return { name, url, embed };
  }
}
