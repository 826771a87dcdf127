import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import { ids, ManualClock } from '../support/fixtures.js';
import { describePullRequestStoreContract } from './pull-request-store.contract.js';

describePullRequestStoreContract('in memory', async () => {
  const clock = new ManualClock();
  return { clock, store: new MemoryPullRequestStore({ clock, ids }) };
});
