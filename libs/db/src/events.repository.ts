import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { and, eq, exists } from 'drizzle-orm';
import type { EventEnvelope } from '@openflows/common';
import type { Database } from './database';
import { events, flows, runs, type EventStatus } from './schema';
import { DATABASE } from './tokens';

export type StoredEvent = typeof events.$inferSelect;

/** Events as received at the ingress. The only code that queries the events table. */
@Injectable()
export class EventsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Records a delivery once. A redelivery (same provider and delivery id) returns the row stored the
   * first time, so the caller can tell whether it still has to be queued. Keeps the envelope's
   * `hookId` (GitHub repository webhook deliveries) in `hook_id`.
   */
  async record(envelope: EventEnvelope): Promise<StoredEvent> {
    const [inserted] = await this.db
      .insert(events)
      .values({
        provider: envelope.provider,
        deliveryId: envelope.deliveryId,
        name: envelope.name,
        action: envelope.action,
        target: envelope.target,
        conversationKey: envelope.conversationKey,
        payload: envelope.payload,
        hookId: envelope.hookId,
        status: 'received',
      })
      .onConflictDoNothing({ target: [events.provider, events.deliveryId] })
      .returning();
    if (inserted) return inserted;
    const [existing] = await this.db
      .select()
      .from(events)
      .where(and(eq(events.provider, envelope.provider), eq(events.deliveryId, envelope.deliveryId)));
    return existing;
  }

  async setStatus(id: string, status: EventStatus): Promise<void> {
    await this.db.update(events).set({ status }).where(eq(events.id, id));
  }

  async findById(id: string): Promise<StoredEvent | undefined> {
    const [row] = await this.db.select().from(events).where(eq(events.id, id));
    return row;
  }

  /**
   * An event that reached at least one of an owner's flows (a run of theirs exists): what the owner may
   * see and replay. Events have no owner of their own; undefined for an unknown event or one that ran
   * only other owners' flows.
   */
  async findOwned(ownerId: string, id: string): Promise<StoredEvent | undefined> {
    const owned = this.db
      .select({ id: runs.id })
      .from(runs)
      .innerJoin(flows, eq(flows.id, runs.flowId))
      .where(and(eq(runs.eventId, events.id), eq(flows.ownerId, ownerId)));
    const [row] = await this.db
      .select()
      .from(events)
      .where(and(eq(events.id, id), exists(owned)));
    return row;
  }

  /**
   * Records a copy of `original` to run again: a new id, the delivery id
   * `<original delivery id>:replay:<12 hex digits>` (unique, so the copy is never a redelivery),
   * `replayOf` = the original's id, the same provider, name, action, target, conversation key, payload
   * and hook id (so routing attributes it as it did the original), status `received`, received now.
   */
  async recordReplay(original: StoredEvent): Promise<StoredEvent> {
    const [copy] = await this.db
      .insert(events)
      .values({
        provider: original.provider,
        deliveryId: `${original.deliveryId}:replay:${randomBytes(6).toString('hex')}`,
        name: original.name,
        action: original.action,
        target: original.target,
        conversationKey: original.conversationKey,
        payload: original.payload,
        hookId: original.hookId,
        status: 'received',
        replayOf: original.id,
      })
      .returning();
    return copy;
  }
}
