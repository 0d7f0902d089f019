import type { Redis } from 'ioredis';

/** Extends the lock only while `holder` still has it (compare-and-pexpire). */
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases the lock only while `holder` still has it (compare-and-delete). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Leases in Redis naming which process holds something (a bot's Gateway connection): taken with
 * `SET NX PX`, kept by extending them well before `ttlMs` runs out, and lost to another process
 * when the holder stops extending (it crashed or lost Redis), so at most one holder at a time.
 */
export class GatewayLocks {
  constructor(
    private readonly redis: Redis,
    /** Prefix of the keys; the lock of `id` is `<prefix>:<id>`. */
    private readonly prefix: string,
    /** This process's name in the locks it holds. */
    private readonly holder: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes the lock of `id` when nobody holds it. @returns whether this process holds it now. */
  async acquire(id: string): Promise<boolean> {
    return (await this.redis.set(this.key(id), this.holder, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** Extends this process's lock of `id`. @returns false when it is no longer this process's. */
  async extend(id: string): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, this.key(id), this.holder, this.ttlMs)) === 1;
  }

  /** Gives the lock of `id` up, if this process still holds it. */
  async release(id: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(id), this.holder);
  }

  private key(id: string): string {
    return `${this.prefix}:${id}`;
  }
}
