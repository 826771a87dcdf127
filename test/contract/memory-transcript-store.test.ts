import { MemoryBlobStore, MemoryTranscriptStore } from '../../lambdas/adapters/memory/memory-transcript-store.js';
import { ManualClock } from '../support/fixtures.js';
import { describeTranscriptStoreContract } from './transcript-store.contract.js';

describeTranscriptStoreContract('in memory', async () => {
  const clock = new ManualClock();
  const blobs = new MemoryBlobStore();
  return { clock, blobs, store: new MemoryTranscriptStore({ clock, blobs }) };
});
