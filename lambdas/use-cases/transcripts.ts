import { NotFoundError } from '../core/errors.js';
import type { FeatureStore } from '../ports/feature-store.js';
import type { AppLogger } from '../ports/logger.js';
import type { BlobReader, TranscriptEntry, TranscriptEntryInput, TranscriptReader, TranscriptSink, TranscriptStore } from '../ports/transcript-store.js';

/**
 * With `full`, a page stops before its JSON passes this size: Lambda caps a
 * response at 6 MB, and one body is at most 1 MiB (MAX_BODY_BYTES), so a
 * page always has room for at least one entry.
 */
export const FULL_PAGE_BUDGET_BYTES = 4 * 1024 * 1024;

/** Reading only: the transcript route gets no way to write (on AWS, not even the S3 client; see aws-transcript-api-deps.ts). */
export interface TranscriptReadDeps {
  readonly entries: TranscriptReader;
  readonly bodies: BlobReader;
}

export interface TranscriptQueryInput {
  readonly taskId?: string;
  readonly afterSeq?: number;
  readonly limit: number;
  /** Replace each offloaded body's preview with the body from the blob store. */
  readonly full: boolean;
}

export interface TranscriptListing {
  readonly items: TranscriptEntry[];
  /** Present when more entries follow: the `after` of the next page. */
  readonly nextSeq?: number;
}

/** A feature's transcript, oldest first; NotFoundError for an unknown feature. */
export async function getFeatureTranscript(
  deps: { readonly store: FeatureStore; readonly transcripts: TranscriptReadDeps },
  featureId: string,
  query: TranscriptQueryInput,
): Promise<TranscriptListing> {
  if (!(await deps.store.getFeature(featureId))) throw new NotFoundError('feature', featureId);
  const page = await deps.transcripts.entries.list({
    featureId,
    limit: query.limit,
    ...(query.taskId === undefined ? {} : { taskId: query.taskId }),
    ...(query.afterSeq === undefined ? {} : { afterSeq: query.afterSeq }),
  });
  if (!query.full) return { items: page.entries, ...(page.nextSeq === undefined ? {} : { nextSeq: page.nextSeq }) };

  const items: TranscriptEntry[] = [];
  let bytes = 0;
  for (const entry of page.entries) {
    // A body the bucket no longer has (expired) keeps its preview and its bodyRef.
    const body = entry.bodyRef === undefined ? undefined : await deps.transcripts.bodies.get(entry.bodyRef);
    const resolved = body === undefined ? entry : { ...entry, body };
    bytes += Buffer.byteLength(JSON.stringify(resolved), 'utf8');
    if (items.length > 0 && bytes > FULL_PAGE_BUDGET_BYTES) return { items, nextSeq: items.at(-1)!.seq };
    items.push(resolved);
  }
  return { items, ...(page.nextSeq === undefined ? {} : { nextSeq: page.nextSeq }) };
}

/**
 * The sink the agent loop writes its turns to. A transcript is for people
 * reading along; losing a line must never fail the task that wrote it, so a
 * failed append is logged and dropped.
 */
export function transcriptSinkFor(store: TranscriptStore, logger: AppLogger): TranscriptSink {
  return async (entry: TranscriptEntryInput) => {
    try {
      await store.append(entry);
    } catch (error) {
      logger.warn('transcript entry dropped', {
        featureId: entry.featureId,
        ...(entry.taskId === undefined ? {} : { taskId: entry.taskId }),
        kind: entry.kind,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
    }
  };
}
