/**
 * Discord interactions and Gateway messages for tests: Discord's published example payloads
 * (`test/fixtures/discord`, MIT) with fresh ids, signed exactly as Discord signs interactions:
 * `X-Signature-Ed25519` = hex Ed25519 signature of `X-Signature-Timestamp` (seconds) + the raw body,
 * with the application's key pair (Discord's "Validating Security Request Headers").
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import exampleInteraction from '../fixtures/discord/slash-command-interaction.json';
import exampleMessage from '../fixtures/discord/message.json';

/** An application's Ed25519 key pair: `publicKey` as the Developer Portal shows it (64 hex digits). */
export interface InteractionKeys {
  publicKey: string;
  privateKey: KeyObject;
}

/** A fresh key pair, as Discord makes one per application. */
export function interactionKeys(): InteractionKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { publicKey: raw.toString('hex'), privateKey };
}

let sequence = 0;
/** Discord's epoch (2015-01-01, ms), the base of snowflakes. */
const DISCORD_EPOCH = 1_420_070_400_000n;

/** A fresh snowflake: milliseconds since Discord's epoch, shifted by 22 bits, and a sequence (Discord's "Snowflakes"). */
export function snowflake(): string {
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | BigInt(++sequence % 4096)).toString();
}

/** The headers and exact body of an interaction post signed with `privateKey` (at `timestamp`, seconds, default now). */
export function signedInteraction(
  payload: unknown,
  privateKey: KeyObject,
  timestamp = Math.floor(Date.now() / 1000),
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(payload);
  const signature = sign(null, Buffer.from(`${timestamp}${body}`), privateKey).toString('hex');
  return {
    headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': String(timestamp) },
    body,
  };
}

/** Where and by whom an interaction or message is made; every field has a default. */
export interface Place {
  applicationId?: string;
  channelId?: string;
  /** The interaction is in a thread of `channelId` with this id. */
  threadId?: string;
  guildId?: string;
  user?: { id: string; username: string; bot?: boolean };
}

/**
 * Discord's example slash-command interaction with a fresh id and token, invoking `/<name>` with
 * `options` (`{ question: 'hi' }` → a STRING option) in `place`, plus the fields real interactions
 * carry and the example leaves out (`application_id`, `channel`, `version`).
 */
export function slashCommand(name: string, options: Record<string, string> = {}, place: Place = {}) {
  const interaction = structuredClone(exampleInteraction) as typeof exampleInteraction & Record<string, unknown>;
  const channelId = place.threadId ?? place.channelId ?? interaction.channel_id;
  Object.assign(interaction, {
    id: snowflake(),
    application_id: place.applicationId ?? '775799577604522054',
    token: `aW50ZXJhY3Rpb246${randomBytes(24).toString('base64url')}`,
    version: 1,
    guild_id: place.guildId ?? interaction.guild_id,
    channel_id: channelId,
    channel: place.threadId
      ? { id: place.threadId, type: 11, parent_id: place.channelId ?? exampleInteraction.channel_id, guild_id: interaction.guild_id }
      : { id: channelId, type: 0, guild_id: interaction.guild_id },
  });
  if (place.user) interaction.member.user = { ...interaction.member.user, ...place.user };
  interaction.data = {
    ...interaction.data,
    name,
    options: Object.entries(options).map(([option, value]) => ({ type: 3, name: option, value })),
  };
  return interaction;
}

/** A PING, as Discord sends one when the Interactions Endpoint URL is saved (and now and then). */
export function ping(applicationId = '775799577604522054') {
  return {
    id: snowflake(),
    application_id: applicationId,
    type: 1,
    token: `aW50ZXJhY3Rpb246${randomBytes(24).toString('base64url')}`,
    version: 1,
  };
}

/** Discord's example message with a fresh id, `content` and `place`, as the Gateway's MESSAGE_CREATE carries it. */
export function channelMessage(content: string, place: Place = {}) {
  const message = structuredClone(exampleMessage) as typeof exampleMessage & Record<string, unknown>;
  Object.assign(message, {
    id: snowflake(),
    content,
    channel_id: place.threadId ?? place.channelId ?? message.channel_id,
    guild_id: place.guildId ?? '290926798626357999',
    timestamp: new Date().toISOString(),
  });
  if (place.user) message.author = { ...message.author, ...place.user };
  return message;
}
