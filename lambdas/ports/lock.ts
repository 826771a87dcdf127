import { randomUUID } from 'node:crypto';
import { DomainError } from '../core/errors.js';

export interface LockOptions {
  /** How long to wait for a held lock before giving up with LockTimeoutError (default: the ttl). 0 tries once. */
  readonly waitMs?: number;
  /** Pause between attempts while waiting (default 25 ms, with jitter). */
  readonly pollMs?: number;
}

/**
 * A named mutual-exclusion lease, held in the store so that every process of
 * the factory sees it. It expires after `ttlMs` so a crashed holder cannot
 * block others forever; an expired lease is taken over.
 *
 * Because of that expiry, a lock here keeps writers from stepping on each other
 * in the normal case but is not a correctness guarantee: a holder that outlives
 * its lease may overlap with the next one. Writes made under it must still be
 * conditional (as `integrate`'s compare-and-swap ref update is).
 */
export interface Lock {
  /** Runs fn holding the lock and releases it afterwards, whether fn returns or throws. */
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>, options?: LockOptions): Promise<T>;
}

export class LockTimeoutError extends DomainError {
  readonly code = 'lock_timeout';
  constructor(
    readonly lockName: string,
    readonly waitedMs: number,
  ) {
    super(`lock ${lockName} is still held by someone else after ${waitedMs} ms`);
  }
}

/** The two primitives a lease store provides; `withLeasedLock` builds `withLock` on them. */
export interface LeaseStore {
  /** Takes the lease if it is free or expired; false when someone else holds it. */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` still holds it; a lease taken over meanwhile is left alone. */
  release(name: string, owner: string): Promise<void>;
}

const DEFAULT_POLL_MS = 25;

/** The shared acquire-wait-run-release loop of every Lock adapter. */
export async function withLeasedLock<T>(
  leases: LeaseStore,
  name: string,
  ttlMs: number,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  if (!(ttlMs > 0)) throw new RangeError(`lock ttl must be positive, got ${ttlMs}`);
  const owner = randomUUID();
  const waitMs = options.waitMs ?? ttlMs;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const started = performance.now();
  while (!(await leases.tryAcquire(name, owner, ttlMs))) {
    const waited = performance.now() - started;
    if (waited >= waitMs) throw new LockTimeoutError(name, Math.round(waited));
    // Jitter keeps waiters that started together from polling in lockstep.
    const pause = Math.min(pollMs * (0.5 + Math.random()), Math.max(1, waitMs - waited));
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  try {
    return await fn();
  } finally {
    // A failed release must not turn finished work into a failure: the lease runs out on its own.
    await leases.release(name, owner).catch(() => undefined);
  }
}
