import type { Clock } from '../../ports/clock.js';
import {
  blobKeySchema,
  prepareEntry,
  type BlobStore,
  type TranscriptEntry,
  type TranscriptEntryInput,
  type TranscriptPage,
  type TranscriptQuery,
  type TranscriptStore,
} from '../../ports/transcript-store.js';

const DEFAULT_LIMIT = 100;

/** In-memory BlobStore for unit tests and the in-memory transcript store. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, string>();

  async put(key: string, body: string): Promise<void> {
    this.blobs.set(blobKeySchema.parse(key), body);
  }

  async get(key: string): Promise<string | undefined> {
    return this.blobs.get(blobKeySchema.parse(key));
  }
}

/**
 * In-memory TranscriptStore for unit tests. The seq is taken and the entry
 * stored with no await in between, which makes appends atomic on Node's single
 * thread; the blob write comes first, as in the DynamoDB store.
 */
export class MemoryTranscriptStore implements TranscriptStore {
  private readonly byFeature = new Map<string, TranscriptEntry[]>();

  constructor(private readonly deps: { clock: Clock; blobs: BlobStore }) {}

  async append(input: TranscriptEntryInput): Promise<TranscriptEntry> {
    const { parsed, body, bodyRef } = await prepareEntry(input, this.deps.blobs);
    let entries = this.byFeature.get(parsed.featureId);
    if (!entries) this.byFeature.set(parsed.featureId, (entries = []));
    const entry: TranscriptEntry = {
      ...parsed,
      body,
      seq: entries.length + 1,
      at: this.deps.clock.now().toISOString(),
      ...(bodyRef === undefined ? {} : { bodyRef }),
    };
    entries.push(entry);
    return structuredClone(entry);
  }

  async list(query: TranscriptQuery): Promise<TranscriptPage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const matching = (this.byFeature.get(query.featureId) ?? []).filter(
      (entry) => entry.seq > (query.afterSeq ?? 0) && (query.taskId === undefined || entry.taskId === query.taskId),
    );
    const entries = matching.slice(0, limit).map((entry) => structuredClone(entry));
    return { entries, ...(matching.length > limit ? { nextSeq: entries.at(-1)!.seq } : {}) };
  }
}
