import { OwnerSlots } from './owner-slots';

describe('OwnerSlots', () => {
  it('gives each owner at most its share, and a released slot back', () => {
    const slots = new OwnerSlots(2);
    expect([slots.tryAcquire('alice'), slots.tryAcquire('alice'), slots.tryAcquire('alice')]).toEqual([true, true, false]);
    expect(slots.tryAcquire('bob')).toBe(true);
    slots.release('alice');
    expect(slots.tryAcquire('alice')).toBe(true);
    expect(slots.tryAcquire('alice')).toBe(false);
  });
});
