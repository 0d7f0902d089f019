import { describedSchedule, ownerOfTick, scheduleSpec, schedulerId, tickDeliveryId, tickMillis } from './schedules';

const OWNER = '0b7d6c2e-1111-4000-8000-00000000000a';

describe('scheduleSpec', () => {
  it('reads a cron schedule and an interval as BullMQ takes them', () => {
    expect(scheduleSpec('cron 0 9 * * 1-5 europe/paris', { expression: '0 9 * * 1-5', timezone: 'Europe/Paris' })).toEqual({
      kind: 'cron',
      expression: '0 9 * * 1-5',
      timezone: 'Europe/Paris',
      repeat: { pattern: '0 9 * * 1-5', tz: 'Europe/Paris' },
    });
    expect(scheduleSpec('every 5000', { every: 5000 })).toEqual({ kind: 'every', every: 5000, repeat: { every: 5000 } });
  });

  it.each([
    ['no options', undefined],
    ['an interval under a second', { every: 10 }],
    ['an unknown time zone', { expression: '0 9 * * *', timezone: 'Nowhere/City' }],
    ['an expression cron-parser refuses', { expression: '0 99 * * *', timezone: 'UTC' }],
    ['a made-up alias', { expression: '0 9 * * funday', timezone: 'UTC' }],
  ])('refuses %s with FLOW_INVALID naming the schedule', (_what, options) => {
    expect(() => scheduleSpec('the-target', options)).toThrow(
      expect.objectContaining({ code: 'FLOW_INVALID', message: expect.stringContaining('the-target') }),
    );
  });

  it('describes a schedule as the flow view lists it', () => {
    expect(describedSchedule(scheduleSpec('t', { every: 60_000 }))).toEqual({ expression: 'every 60000 ms', timezone: 'UTC' });
    expect(describedSchedule(scheduleSpec('t', { expression: '*/5 * * * *', timezone: 'Asia/Tokyo' }))).toEqual({
      expression: '*/5 * * * *',
      timezone: 'Asia/Tokyo',
    });
  });
});

describe('scheduler ids and tick delivery ids', () => {
  it('gives one scheduler per (owner, schedule), without ":", whose ticks name their owner', () => {
    const id = schedulerId(OWNER, 'every 5000');
    expect(id).toMatch(new RegExp(`^${OWNER}\\.[0-9a-f]{16}$`));
    expect(schedulerId(OWNER, 'every 5000')).toBe(id);
    expect(schedulerId(OWNER, 'every 6000')).not.toBe(id);
    expect(schedulerId('another-owner', 'every 5000')).not.toBe(id);
    expect(ownerOfTick(tickDeliveryId(id, 1_790_000_000_000))).toBe(OWNER);
    expect(ownerOfTick('X-GitHub-Delivery-uuid')).toBeUndefined();
  });

  it("reads a tick's due time from BullMQ's job id, else from its timestamp and delay", () => {
    expect(tickMillis({ id: `repeat:${OWNER}.abc:1790000001000`, timestamp: 1_790_000_000_100, delay: 900 })).toBe(1_790_000_001_000);
    expect(tickMillis({ id: 'odd-id', timestamp: 1_790_000_000_100, delay: 900 })).toBe(1_790_000_001_000);
  });
});
