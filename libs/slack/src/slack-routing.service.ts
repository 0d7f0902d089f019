import { Injectable } from '@nestjs/common';
import { SdkError } from '@openflows/sdk';
import { channelOf, routedNames, slackCommandOf, type SlackEventCallback } from './envelope';
import { SlackClientService, type SlackSession } from './slack-client.service';

/** A stored Slack event as routing reads it. */
export interface SlackRoutedEvent {
  name: string;
  target?: string | null;
  payload: unknown;
}

/**
 * The outcome of {@link SlackRoutingService.targets}: the channel's names and the event names to match
 * subscriptions on (`message`, or `message.<subtype>` for subtypes flows opt into), or why none.
 */
export type SlackRouting = { targets: string[]; events: string[]; session: SlackSession } | { dropped: string };

/**
 * Decides whether a Slack event reaches flows and under which names. A subscription made with
 * `slack.channel(team, channel)` (or `slack.chat`) names the team by id or name and the channel by id,
 * name or `*`; an event matches it under all six combinations, lower-cased (`t0acme/c0general`,
 * `acme/general`, `acme/*`, …). Names
 * are resolved at routing, with the workspace's token, so a flow can be deployed before the workspace
 * is connected and keeps working when the channel is renamed (after the name cache expires).
 */
@Injectable()
export class SlackRoutingService {
  constructor(private readonly clients: SlackClientService) {}

  /**
   * The targets and event names an event matches, or why it is dropped: the workspace is not
   * connected or revoked, or the event is a message from a bot or from our own bot user (or an edit of
   * one). Edits, deletions, joins… match only `message.<subtype>` (see `routedNames`); a slash command
   * matches its name (`restart`) in the channel it was typed in.
   */
  async targets(event: SlackRoutedEvent): Promise<SlackRouting> {
    const command = slackCommandOf(event.payload);
    const body = event.payload as SlackEventCallback;
    const team = command?.team_id ?? body.team_id;
    const channel = command ? command.channel_id : channelOf(body.event);
    if (!event.target || !channel) return { dropped: 'not a channel event' };
    let session: SlackSession;
    try {
      session = await this.clients.sessionFor(team);
    } catch (error) {
      if (error instanceof SdkError) return { dropped: error.message };
      throw error;
    }
    const events = command ? [event.name] : routedNames(body.event, session.botUserId);
    if (!events) return { dropped: 'a message of a bot or of our own bot user' };
    const teams = [team, session.teamName];
    // `*`: the source `slack.chat(team, '*')` of every channel of the workspace.
    const channels = [channel, await this.clients.channelName(session, channel), '*'].filter((c): c is string => Boolean(c));
    const targets = new Set(teams.flatMap((t) => channels.map((c) => `${t}/${c}`.toLowerCase())));
    return { targets: [...targets], events, session };
  }
}
