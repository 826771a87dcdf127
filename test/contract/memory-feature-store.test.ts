import { MemoryFeatureStore } from '../../lambdas/adapters/memory/memory-feature-store.js';
import { ids, ManualClock } from '../support/fixtures.js';
import { describeFeatureStoreContract } from './feature-store.contract.js';

describeFeatureStoreContract('in memory', async () => {
  const clock = new ManualClock();
  return { clock, store: new MemoryFeatureStore({ clock, ids }) };
});
