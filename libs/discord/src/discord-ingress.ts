import { Injectable } from '@nestjs/common';
import { InteractionResponseFlags, InteractionResponseType, verifyKey } from 'discord-interactions';
import {
  CodedError,
  type AcceptEvent,
  type EventEnvelope,
  type IngressAnswer,
  type IngressRequest,
  type ProviderIngress,
} from '@openflows/common';
import { FlowsRepository } from '@openflows/db';
import { DiscordAppsService, type DiscordApplication } from './discord-apps.service';
import { COMPONENT_EVENT, MODAL_EVENT, parseInteraction, targetsOf, type DiscordInteraction } from './envelope';

/** Interactions older or newer than this are refused as replays (s); Discord posts them at once. */
const MAX_SKEW_SECONDS = 5 * 60;

/**
 * Checks Discord's signature of an interaction: `X-Signature-Ed25519` (hex) over
 * `X-Signature-Timestamp` + the raw body with the application's public key (Discord's "Validating
 * Security Request Headers", verified by `discord-interactions`' `verifyKey`), and a timestamp within
 * five minutes either way.
 * @throws CodedError SIGNATURE_INVALID (401; Discord also probes with bad signatures and expects
 *   this), TIMESTAMP_INVALID (401).
 */
export async function verifyInteraction(request: IngressRequest, publicKey: string, now = Date.now()): Promise<void> {
  const signature = request.headers['x-signature-ed25519'];
  const timestamp = request.headers['x-signature-timestamp'];
  const valid =
    request.method === 'POST' &&
    typeof signature === 'string' &&
    typeof timestamp === 'string' &&
    (await verifyKey(request.raw, signature, timestamp, publicKey));
  if (!valid) throw new CodedError('SIGNATURE_INVALID', 'X-Signature-Ed25519 is missing or does not match the timestamp and body');
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) {
    throw new CodedError('TIMESTAMP_INVALID', 'X-Signature-Timestamp is more than five minutes off');
  }
}

/** The answer to an interaction no flow listens to: a message only the invoking user sees (EPHEMERAL). */
function unhandled(name: string): IngressAnswer {
  const what = name === COMPONENT_EVENT || name === MODAL_EVENT ? 'this' : `/${name}`;
  return {
    status: 200,
    body: {
      type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
      data: { content: `No flow answers ${what} here right now.`, flags: InteractionResponseFlags.EPHEMERAL },
    },
  };
}

/**
 * `POST /webhooks/discord/<connection id>`: the Interactions Endpoint URL of one connected
 * application. Verifies the signature with that application's public key, answers `PING` with
 * `PONG`, and queues slash commands, component clicks and modal submissions, answering each with a
 * deferred message (`{ type: 5 }`, "thinking…") as soon as it is queued: Discord wants a first answer
 * within 3 s, and the run's `discord.sendMessage` fills the message in. One no live flow listens to
 * is not queued but answered with a message only its user sees; autocomplete gets no suggestions.
 */
@Injectable()
export class DiscordIngress implements ProviderIngress {
  constructor(
    private readonly apps: DiscordAppsService,
    private readonly flows: FlowsRepository,
  ) {}

  /**
   * @throws CodedError CONNECTION_NOT_FOUND (404) for an endpoint of no connected application,
   *   SIGNATURE_INVALID / TIMESTAMP_INVALID (401), BODY_MALFORMED (400) for a body that is not JSON,
   *   MalformedInteractionError (400 DELIVERY_MALFORMED); nothing is queued then.
   */
  async receive(request: IngressRequest, accept: AcceptEvent): Promise<IngressAnswer> {
    const app = await this.endpointApp(request.path);
    await verifyInteraction(request, app.publicKey);
    let body: unknown;
    try {
      body = JSON.parse(request.raw.toString('utf8'));
    } catch {
      throw new CodedError('BODY_MALFORMED', 'body is not valid JSON');
    }
    const parsed = parseInteraction(body, app.applicationId);
    switch (parsed.kind) {
      case 'ping':
        return { status: 200, body: { type: InteractionResponseType.PONG } };
      case 'autocomplete':
        return { status: 200, body: { type: InteractionResponseType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, data: { choices: [] } } };
      case 'event':
        if (!(await this.handled(app, parsed.envelope))) return unhandled(parsed.envelope.name);
        // A repeated post of one interaction is acknowledged the same way; only the first one runs.
        await accept(parsed.envelope);
        return { status: 200, body: { type: InteractionResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE } };
    }
  }

  /**
   * Whether a live, unpaused flow of the application's owner listens to the interaction: otherwise a
   * deferred answer would never be filled in (a command Discord clients still show after its flow was
   * paused or deleted).
   */
  private async handled(app: DiscordApplication, envelope: EventEnvelope): Promise<boolean> {
    if (!app.ownerId || app.status !== 'active') return false;
    const targets = targetsOf(app, envelope.target!, envelope.payload as DiscordInteraction);
    return (await this.flows.match('discord', targets, [envelope.name], app.ownerId)).length > 0;
  }

  private async endpointApp(path: string): Promise<DiscordApplication> {
    const app = await this.apps.byConnectionId(path);
    if (!app) throw new CodedError('CONNECTION_NOT_FOUND', `no Discord application is connected at /webhooks/discord/${path}`);
    return app;
  }
}
