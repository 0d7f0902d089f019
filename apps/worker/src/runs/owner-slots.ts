/**
 * Per-owner fairness inside one worker process: at most `perOwner` runs of one owner execute at once
 * (`FLOW_OWNER_CONCURRENCY`), so one tenant's burst or hung flows cannot take every lane.
 */
export class OwnerSlots {
  private readonly taken = new Map<string, number>();

  constructor(private readonly perOwner: number) {}

  /** @returns true and takes a slot when `ownerId` has one free; false when all of theirs are busy. */
  tryAcquire(ownerId: string): boolean {
    const used = this.taken.get(ownerId) ?? 0;
    if (used >= this.perOwner) return false;
    this.taken.set(ownerId, used + 1);
    return true;
  }

  release(ownerId: string): void {
    const used = (this.taken.get(ownerId) ?? 0) - 1;
    if (used > 0) this.taken.set(ownerId, used);
    else this.taken.delete(ownerId);
  }
}
