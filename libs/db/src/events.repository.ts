import { Inject, Injectable } from '@nestjs/common';
import { and, eq } from 'drizzle-orm';
import type { EventEnvelope } from '@openflows/common';
import type { Database } from './database';
import { events, type EventStatus } from './schema';
import { DATABASE } from './tokens';

export type StoredEvent = typeof events.$inferSelect;

/** Events as received at the ingress. The only code that queries the events table. */
@Injectable()
export class EventsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Records a delivery once. A redelivery (same provider and delivery id) returns the row stored the
   * first time, so the caller can tell whether it still has to be queued.
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
}
