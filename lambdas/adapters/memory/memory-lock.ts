import type { Clock } from '../../ports/clock.js';
import { withLeasedLock, type LeaseStore, type Lock, type LockOptions } from '../../ports/lock.js';

/**
 * Lock for one process (unit tests, a single local worker). Leases expire on
 * the injected clock, exactly like the DynamoDB lock, so tests can move time.
 */
export class MemoryLock implements Lock, LeaseStore {
  private readonly leases = new Map<string, { owner: string; until: number }>();

  constructor(private readonly deps: { clock: Clock }) {}

  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
    return withLeasedLock(this, name, ttlMs, fn, options);
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.deps.clock.now().getTime();
    const held = this.leases.get(name);
    if (held && held.until >= now) return false;
    this.leases.set(name, { owner, until: now + ttlMs });
    return true;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }
}
