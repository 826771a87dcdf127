import { MemoryLock } from '../../lambdas/adapters/memory/memory-lock.js';
import { ManualClock } from '../support/fixtures.js';
import { describeLockContract } from './lock.contract.js';

describeLockContract('in memory', async () => {
  const clock = new ManualClock();
  return { clock, lock: new MemoryLock({ clock }) };
});
