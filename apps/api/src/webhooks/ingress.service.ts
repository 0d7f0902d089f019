import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { EVENTS_JOB_OPTIONS, EVENTS_QUEUE, ROUTE_EVENT_JOB, type EventEnvelope, type RouteEventJob } from '@openflows/common';
import { EventsRepository } from '@openflows/db';

/**
 * How long the ingress waits for Redis to take a job (ms). BullMQ waits for a lost connection to come
 * back; the sender should rather get a 503 well inside its own timeout (GitHub: 10 s) and redeliver.
 */
const QUEUE_TIMEOUT_MS = 5000;

/** Rejects when `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `queued`: stored and on the events queue; `duplicate`: this delivery was queued before. */
export type IngressOutcome = { status: 'queued' | 'duplicate'; eventId: string };

/**
 * Makes an accepted delivery durable: recorded once in the events table, then put on the events
 * queue. Provider-agnostic: every ingress hands it an envelope.
 */
@Injectable()
export class IngressService implements OnModuleInit {
  private readonly logger = new Logger(IngressService.name);

  constructor(
    private readonly events: EventsRepository,
    @InjectQueue(EVENTS_QUEUE) private readonly queue: Queue<RouteEventJob>,
  ) {}

  onModuleInit(): void {
    this.queue.on('error', (error) => this.logger.warn(`events queue: ${error.message}`));
  }

  /**
   * Records and queues an event. A redelivery of an event that was queued already is a no-op; one whose
   * first delivery was stored but not queued (Redis was down) is queued now.
   * @throws the queue's error when Redis cannot take the job (the caller answers 503).
   */
  async accept(envelope: EventEnvelope): Promise<IngressOutcome> {
    const event = await this.events.record(envelope);
    if (event.status !== 'received') return { status: 'duplicate', eventId: event.id };
    // jobId = event id: two racing copies of one delivery still make one job.
    await within(
      this.queue.add(ROUTE_EVENT_JOB, { eventId: event.id }, { ...EVENTS_JOB_OPTIONS, jobId: event.id }),
      QUEUE_TIMEOUT_MS,
      'queueing the event',
    );
    await this.events.setStatus(event.id, 'queued');
    return { status: 'queued', eventId: event.id };
  }
}
