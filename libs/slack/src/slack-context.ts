import type { SlackContext } from '@openflows/sdk';
import { channelOf, threadOf, type SlackCommand, type SlackEventCallback } from './envelope';

/** `slack.context` outside a Slack event of a connected workspace: every string empty. */
export const NO_SLACK_CONTEXT: SlackContext = { teamId: '', teamName: '', account: '', chatId: '', sender: { id: '' } };

/** The workspace a run acts in, as its context names it. */
export interface SlackContextWorkspace {
  teamId: string;
  teamName: string;
  botUserId: string | null;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * `slack.context` for an Events API request (`event_callback`, Slack's Events API): the workspace and
 * the ChatContext aliases — `account` the team id, `chatId` the event's channel, `threadId` its
 * thread (see threadOf: a top-level message's own `ts`), `messageId` its `ts`, `sender` its `user`
 * (`isBot` when it carries a `bot_id`).
 */
export function slackContextOf(body: SlackEventCallback, workspace: SlackContextWorkspace): SlackContext {
  const event = body.event;
  const user = text(event.user);
  return {
    teamId: workspace.teamId,
    teamName: workspace.teamName,
    botUserId: workspace.botUserId ?? undefined,
    account: workspace.teamId,
    chatId: channelOf(event) ?? '',
    threadId: threadOf(event),
    messageId: text(event.ts),
    sender: { id: user ?? '', ...(event.bot_id !== undefined ? { isBot: true } : {}) },
  };
}

/**
 * `slack.context` for a slash command: the workspace, `account` the team id, `chatId` the channel it
 * was typed in, `sender` who typed it; no thread or message (Slack names neither).
 */
export function slackCommandContextOf(command: SlackCommand, workspace: SlackContextWorkspace): SlackContext {
  return {
    teamId: workspace.teamId,
    teamName: workspace.teamName,
    botUserId: workspace.botUserId ?? undefined,
    account: workspace.teamId,
    chatId: command.channel_id,
    sender: { id: command.user_id, ...(text(command.user_name) ? { name: command.user_name } : {}) },
  };
}
