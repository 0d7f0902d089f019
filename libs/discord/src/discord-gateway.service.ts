import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client, Events, GatewayIntentBits, type GatewayDispatchPayload } from 'discord.js';
import { Redis } from 'ioredis';
import {
  APP_CONFIG,
  EVENTS_JOB_OPTIONS,
  EVENTS_QUEUE,
  REDIS,
  ROUTE_EVENT_JOB,
  bullConnection,
  errorMessage,
  redisKey,
  type AppConfig,
  type EventEnvelope,
} from '@openflows/common';
import { EventsRepository, FlowsRepository } from '@openflows/db';
import { DiscordAppsService, type DiscordApplication } from './discord-apps.service';
import { accountOf, namesApp } from './discord-commands.service';
import { GatewayLocks } from './gateway-locks';
import { restBase } from './discord-rest';
import { MESSAGE_EVENT, messageEnvelope, type DiscordMessage } from './envelope';

/** How often a gateway process reconsiders which bots it holds and renews its locks (ms). */
const RECONCILE_MS = 10_000;
/** A bot's lock outlives three missed renewals; then another gateway process takes the bot over. */
const LOCK_TTL_MS = 3 * RECONCILE_MS;
/** After a failed login (bad token, Message Content intent not enabled) the bot is left alone this long (ms). */
const RETRY_AFTER_MS = 5 * 60_000;

/**
 * Intents of the connections: guilds (channels and threads, to put a thread's messages under its
 * parent), guild and direct messages, and their content (a privileged intent, to be turned on in the
 * Developer Portal's Bot page).
 */
const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
];

/**
 * The Gateway role (`DISCORD_GATEWAY=1`, on workers): holds one discord.js Client for each connected
 * bot some live flow listens to `message` with (`discord.chat(app, channel)`), and turns each
 * MESSAGE_CREATE into an event exactly as the webhook ingress does (recorded once per message id,
 * then queued for routing); the bot's own messages are dropped.
 *
 * How it shards: every gateway process runs the same loop, and a Redis lock per application (renewed
 * every 10 s, lost after 30 s) decides which one holds that bot's connection, so bots spread over the
 * gateway processes and a crashed one's bots move to the others. Within one bot, discord.js opens the
 * shards Discord recommends (`GET /gateway/bot`) in the holding process. A deploy, pause or connect
 * (`changed`) makes every gateway process reconsider at once.
 */
@Injectable()
export class DiscordGatewayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DiscordGatewayService.name);
  private readonly held = new Map<string, { token: string; client: Client }>();
  private readonly failedUntil = new Map<string, number>();
  private readonly locks: GatewayLocks;
  private readonly channel: string;
  private queue?: Queue;
  private subscriber?: Redis;
  private timer?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  private again = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly apps: DiscordAppsService,
    private readonly flows: FlowsRepository,
    private readonly events: EventsRepository,
  ) {
    this.locks = new GatewayLocks(redis, redisKey(config, 'discord', 'gateway'), `${process.pid}-${randomUUID()}`, LOCK_TTL_MS);
    this.channel = redisKey(config, 'discord', 'gateway-changed');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.discord.gateway) return;
    this.queue = new Queue(EVENTS_QUEUE, {
      connection: bullConnection(this.config.redis.url, 'producer'),
      prefix: this.config.redis.prefix,
    });
    this.queue.on('error', (error) => this.logger.warn(`events queue: ${error.message}`));
    this.subscriber = new Redis(this.config.redis.url);
    this.subscriber.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    this.subscriber.on('message', () => void this.reconcile());
    await this.subscriber.subscribe(this.channel);
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_MS);
    await this.reconcile();
    this.logger.log('Discord gateway role on');
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.reconciling;
    await Promise.all([...this.held.keys()].map((id) => this.stop(id)));
    this.subscriber?.disconnect();
    await this.queue?.close();
  }

  /** Tells every gateway process that the flows or connections of an owner changed (any process may call it). */
  async changed(): Promise<void> {
    await this.redis.publish(this.channel, 'changed');
  }

  /** One pass at a time; a request during a pass runs one more pass after it. */
  private reconcile(): Promise<void> {
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = this.pass()
      .catch((error: unknown) => this.logger.warn(`Discord gateway: ${errorMessage(error)}`))
      .finally(() => {
        this.reconciling = undefined;
        if (this.again && this.timer) {
          this.again = false;
          void this.reconcile();
        }
      });
    return this.reconciling;
  }

  /** Keeps the bots still wanted (renewing their locks), drops the others, and takes wanted bots nobody holds. */
  private async pass(): Promise<void> {
    const wanted = await this.wantedApps();
    for (const [id, held] of this.held) {
      const app = wanted.get(id);
      if (!app || app.botToken !== held.token || !(await this.locks.extend(id))) await this.stop(id);
    }
    for (const app of wanted.values()) {
      const id = app.applicationId;
      if (this.held.has(id) || (this.failedUntil.get(id) ?? 0) > Date.now() || !this.timer) continue;
      if (await this.locks.acquire(id)) await this.start(app);
    }
  }

  /** Active applications with a live flow of their owner listening to `message` on one of their channels. */
  private async wantedApps(): Promise<Map<string, DiscordApplication>> {
    const wanted = new Map<string, DiscordApplication>();
    const byOwner = new Map<string, DiscordApplication[]>();
    for (const app of await this.apps.allActiveApps()) {
      if (app.ownerId) byOwner.set(app.ownerId, [...(byOwner.get(app.ownerId) ?? []), app]);
    }
    for (const [ownerId, apps] of byOwner) {
      const listening = (await this.flows.liveSubscriptions('discord', ownerId)).filter((s) => s.event === MESSAGE_EVENT);
      for (const app of apps) if (listening.some((s) => namesApp(app, accountOf(s.target)))) wanted.set(app.applicationId, app);
    }
    return wanted;
  }

  private async start(app: DiscordApplication): Promise<void> {
    const client = new Client({ intents: INTENTS, rest: { ...restBase(this.config.discord.apiUrl), retries: 1, timeout: 10_000 } });
    client.on(Events.Raw, (packet: GatewayDispatchPayload) => {
      if (packet.t === 'MESSAGE_CREATE') void this.onMessage(app, client, packet.d as unknown as DiscordMessage);
    });
    client.on(Events.Error, (error) => this.logger.warn(`Discord gateway ${app.applicationId}: ${error.message}`));
    this.held.set(app.applicationId, { token: app.botToken, client });
    try {
      await client.login(app.botToken);
      this.logger.log(`Discord gateway: holding the connection of application ${app.applicationId} (${app.name})`);
    } catch (error) {
      this.logger.warn(`Discord gateway ${app.applicationId}: login failed, retrying in 5 minutes: ${errorMessage(error)}`);
      this.failedUntil.set(app.applicationId, Date.now() + RETRY_AFTER_MS);
      await this.stop(app.applicationId);
    }
  }

  private async stop(applicationId: string): Promise<void> {
    const held = this.held.get(applicationId);
    this.held.delete(applicationId);
    await held?.client.destroy();
    await this.locks.release(applicationId).catch(() => undefined);
  }

  /** A MESSAGE_CREATE as an event of `app`, unless the bot wrote it; a thread's message is put under its parent channel. */
  private async onMessage(app: DiscordApplication, client: Client, message: DiscordMessage): Promise<void> {
    if (message.author?.id === client.user?.id) return;
    const channel = client.channels.cache.get(message.channel_id);
    const parentId = channel?.isThread() ? (channel.parentId ?? undefined) : undefined;
    try {
      await this.accept(messageEnvelope(app.applicationId, message, parentId));
    } catch (error) {
      // The Gateway does not redeliver: a message lost here is lost, so say so.
      this.logger.error({ err: error, deliveryId: message.id }, `Discord gateway ${app.applicationId}: could not queue a message`);
    }
  }

  /** The webhook ingress's accept: recorded once per delivery id, then queued for routing (job id = event id). */
  private async accept(envelope: EventEnvelope): Promise<void> {
    const event = await this.events.record(envelope);
    if (event.status !== 'received') return;
    await this.queue!.add(ROUTE_EVENT_JOB, { eventId: event.id }, { ...EVENTS_JOB_OPTIONS, jobId: event.id });
    await this.events.setStatus(event.id, 'queued');
  }
}
