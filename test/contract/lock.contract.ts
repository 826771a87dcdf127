import { beforeEach, describe, expect, it } from 'vitest';
import { LockTimeoutError, type Lock } from '../../lambdas/ports/lock.js';
import type { ManualClock } from '../support/fixtures.js';

export interface LockUnderTest {
  lock: Lock;
  /** Lease expiry follows this clock; waiting for a held lock is real time. */
  clock: ManualClock;
}

const TTL = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise the test settles by hand, to hold a lock exactly as long as it wants. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** The one behavioural contract of Lock: in memory and on DynamoDB Local. */
export function describeLockContract(name: string, make: () => Promise<LockUnderTest>): void {
  describe(`Lock contract: ${name}`, () => {
    let lock: Lock;
    let clock: ManualClock;
    let counter = 0;
    const fresh = () => `lock-${Date.now()}-${counter++}`;

    beforeEach(async () => {
      ({ lock, clock } = await make());
    });

    it('runs the function, returns its value and releases the lock', async () => {
      const name = fresh();

      const value = await lock.withLock(name, TTL, async () => 42);

      expect(value).toBe(42);
      await expect(lock.withLock(name, TTL, async () => 'again', { waitMs: 0 })).resolves.toBe('again');
    });

    it('releases the lock when the function throws, and passes the error on', async () => {
      const name = fresh();

      await expect(lock.withLock(name, TTL, async () => Promise.reject(new Error('agent crashed')))).rejects.toThrow('agent crashed');

      await expect(lock.withLock(name, TTL, async () => 'free', { waitMs: 0 })).resolves.toBe('free');
    });

    it('lets one holder in at a time; the others wait their turn', async () => {
      const name = fresh();
      let active = 0;
      let most = 0;
      const order: number[] = [];

      await Promise.all(
        [0, 1, 2, 3].map((i) =>
          lock.withLock(
            name,
            TTL,
            async () => {
              active += 1;
              most = Math.max(most, active);
              await sleep(15);
              order.push(i);
              active -= 1;
            },
            { waitMs: 5_000, pollMs: 5 },
          ),
        ),
      );

      expect(most).toBe(1);
      expect(order.sort()).toEqual([0, 1, 2, 3]);
    });

    it('gives up with LockTimeoutError when the lock stays held, without running the function', async () => {
      const name = fresh();
      const held = gate();
      const holder = lock.withLock(name, TTL, () => held.opened);
      await sleep(5);
      let ran = false;

      const waiting = lock.withLock(name, TTL, async () => (ran = true), { waitMs: 60, pollMs: 10 });

      await expect(waiting).rejects.toBeInstanceOf(LockTimeoutError);
      expect(ran).toBe(false);
      held.open();
      await holder;
    });

    it('does not block other names', async () => {
      const held = gate();
      const holder = lock.withLock(fresh(), TTL, () => held.opened);
      await sleep(5);

      await expect(lock.withLock(fresh(), TTL, async () => 'other', { waitMs: 0 })).resolves.toBe('other');
      held.open();
      await holder;
    });

    it('takes over an expired lease, and the late holder cannot release the new one', async () => {
      const name = fresh();
      const first = gate();
      const second = gate();
      const stale = lock.withLock(name, 1_000, () => first.opened);
      await sleep(5);
      clock.advance(1_001);

      const takeover = lock.withLock(name, TTL, () => second.opened, { waitMs: 0 });
      await sleep(5);
      first.open();
      await stale;

      await expect(lock.withLock(name, TTL, async () => 'too early', { waitMs: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
      second.open();
      await takeover;
      await expect(lock.withLock(name, TTL, async () => 'free', { waitMs: 0 })).resolves.toBe('free');
    });
  });
}
