import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type TranscriptEntry } from './api.js';

export interface TaskTranscript {
  readonly entries: readonly TranscriptEntry[];
  readonly loaded: boolean;
  /** The server keeps no transcripts (or no longer knows the feature). */
  readonly unavailable: boolean;
  readonly error?: ApiError;
}

/** Transcript entries carry no event of their own, so while the task works its transcript is polled, as the event log is without a stream. */
export const TRANSCRIPT_POLL_MS = 2000;
const MAX_BACKOFF_MS = 10_000;
/** A long run keeps its newest entries: enough to read along without the page growing without end. */
export const TRANSCRIPT_KEPT = 500;
const PAGE = 200;
/** Pages per pull: a first load of a very long transcript continues on the next poll. */
const MAX_PAGES = 10;

/**
 * One task's transcript, oldest first, read by `after` cursor so each entry is fetched once.
 * While `following` (the task is queued or running) it is polled; when following stops, one
 * last pull picks up the lines written as the task ended.
 */
export function useTaskTranscript(featureId: string, taskId: string | undefined, following: boolean): TaskTranscript {
  const [state, setState] = useState<TaskTranscript>({ entries: [], loaded: false, unavailable: false });
  const cursor = useRef<{ key: string; after?: number }>({ key: '' });

  useEffect(() => {
    if (taskId === undefined) return;
    const key = `${featureId}/${taskId}`;
    if (cursor.current.key !== key) {
      cursor.current = { key };
      setState({ entries: [], loaded: false, unavailable: false });
    }
    let closed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const pull = async (failures: number) => {
      let delay = TRANSCRIPT_POLL_MS;
      try {
        const fresh: TranscriptEntry[] = [];
        let after = cursor.current.after;
        for (let page = 0; page < MAX_PAGES; page++) {
          const listing = await api.listTranscript(featureId, { task: taskId, limit: PAGE, ...(after === undefined ? {} : { after }) });
          fresh.push(...listing.items);
          after = listing.nextSeq ?? listing.items.at(-1)?.seq ?? after;
          if (listing.nextSeq === undefined) break;
        }
        if (closed) return;
        cursor.current = { key, ...(after === undefined ? {} : { after }) };
        setState((previous) => {
          const last = previous.entries.at(-1)?.seq ?? 0;
          const entries = [...previous.entries, ...fresh.filter((entry) => entry.seq > last)].slice(-TRANSCRIPT_KEPT);
          return { entries, loaded: true, unavailable: false };
        });
        failures = 0;
      } catch (error) {
        if (closed) return;
        const apiError = error instanceof ApiError ? error : new ApiError(0, { detail: String(error) });
        if (apiError.status === 404) {
          setState({ entries: [], loaded: true, unavailable: true });
          return;
        }
        failures += 1;
        delay = Math.min(MAX_BACKOFF_MS, TRANSCRIPT_POLL_MS * 2 ** failures);
        setState((previous) => ({ ...previous, loaded: true, error: apiError }));
      }
      if (following && !closed) timer = setTimeout(() => void pull(failures), delay);
    };
    void pull(0);
    return () => {
      closed = true;
      clearTimeout(timer);
    };
  }, [featureId, taskId, following]);

  return taskId === undefined || cursor.current.key !== `${featureId}/${taskId}` ? { entries: [], loaded: false, unavailable: false } : state;
}
