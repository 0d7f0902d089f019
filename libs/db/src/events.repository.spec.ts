import { CREATE_TEST_DATABASE_TIMEOUT_MS, TEST_DRIVERS, createTestDatabase, type TestDatabase } from '@openflows/test-support/database';
import { examplePayload } from '@openflows/test-support/github-webhooks';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@openflows/common';
import { EventsRepository } from './events.repository';

/** An `issue_comment.created` delivery with GitHub's published example payload. */
function envelopeFactory(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  const payload = examplePayload('issue_comment', 'created');
  const target = String(payload.repository.full_name).toLowerCase();
  return {
    provider: 'github',
    deliveryId: randomUUID(),
    name: 'issue_comment',
    action: 'created',
    target,
    conversationKey: `${target}#${payload.issue.number}`,
    payload,
    ...overrides,
  };
}

describe.each(TEST_DRIVERS)('EventsRepository (%s)', (driver) => {
  let database: TestDatabase;
  let events: EventsRepository;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    events = new EventsRepository(database.handle.db);
  }, CREATE_TEST_DATABASE_TIMEOUT_MS);

  afterAll(async () => {
    await database.drop();
  });

  it('stores a delivery as received, payload as sent', async () => {
    const envelope = envelopeFactory();
    const stored = await events.record(envelope);

    expect(stored).toMatchObject({
      provider: 'github',
      deliveryId: envelope.deliveryId,
      name: 'issue_comment',
      action: 'created',
      target: envelope.target,
      conversationKey: envelope.conversationKey,
      status: 'received',
      hookId: null,
    });
    expect(stored.payload).toEqual(envelope.payload);
    expect(stored.receivedAt).toBeInstanceOf(Date);
    expect(await events.findById(stored.id)).toEqual(stored);
  });

  it('returns the first row for a redelivery of the same delivery id, and stores nothing new', async () => {
    const first = await events.record(envelopeFactory());
    await events.setStatus(first.id, 'queued');

    const again = await events.record(
      envelopeFactory({ deliveryId: first.deliveryId, name: 'issues', action: 'opened', payload: { changed: true } }),
    );

    expect(again.id).toBe(first.id);
    expect(again.status).toBe('queued');
    expect(again.name).toBe('issue_comment');
    expect(again.payload).toEqual(first.payload);
  });

  it('stores one row when the same delivery arrives several times at once', async () => {
    const envelope = envelopeFactory();
    const rows = await Promise.all(Array.from({ length: 6 }, () => events.record(envelope)));
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
  });

  it('keeps different deliveries apart', async () => {
    const a = await events.record(envelopeFactory());
    const b = await events.record(envelopeFactory());
    expect(a.id).not.toBe(b.id);
  });

  it('stores app-level events without target or action', async () => {
    const stored = await events.record(
      envelopeFactory({
        name: 'installation',
        action: undefined,
        target: undefined,
        conversationKey: 'app:installation',
        payload: examplePayload('installation', 'created'),
      }),
    );
    expect(stored.target).toBeNull();
    expect(stored.action).toBeNull();
    expect(stored.conversationKey).toBe('app:installation');
  });

  it('updates the status and finds nothing for an unknown id', async () => {
    const stored = await events.record(envelopeFactory());
    await events.setStatus(stored.id, 'routed');
    expect((await events.findById(stored.id))?.status).toBe('routed');
    expect(await events.findById(randomUUID())).toBeUndefined();
  });
  it('records a replay: a copy with its own id and delivery id, replayOf the original, the same content', async () => {
    const original = await events.record(envelopeFactory());
    await events.setStatus(original.id, 'routed');

    const copy = await events.recordReplay(original);
    const again = await events.recordReplay(original);

    expect(copy.id).not.toBe(original.id);
    expect(copy.deliveryId).toMatch(new RegExp(`^${original.deliveryId}:replay:[0-9a-f]{12}$`));
    expect(again.deliveryId).not.toBe(copy.deliveryId);
    expect(copy).toMatchObject({
      provider: original.provider,
      name: original.name,
      action: original.action,
      target: original.target,
      conversationKey: original.conversationKey,
      payload: original.payload,
      status: 'received',
      replayOf: original.id,
    });
    expect(original.replayOf).toBeNull();
  });

  it('keeps the repository webhook a delivery came through, in the row and in a replay copy', async () => {
    const payload = envelopeFactory().payload as { installation?: unknown };
    delete payload.installation;
    const original = await events.record(envelopeFactory({ payload, hookId: '4000001' }));
    expect(original.hookId).toBe('4000001');
    expect((await events.findById(original.id))?.hookId).toBe('4000001');
    expect((await events.recordReplay(original)).hookId).toBe('4000001');
  });
});
