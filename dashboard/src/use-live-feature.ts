import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { FeatureEvent } from '../../lambdas/core/feature-event.js';
import { api, ApiError, type FeatureDetail, type PublicTask } from './api.js';
import { followFeatureEvents, type LiveMode } from './live-events.js';

export interface LiveFeature {
  readonly feature?: FeatureDetail;
  readonly tasks?: readonly PublicTask[];
  readonly events: readonly FeatureEvent[];
  readonly mode: LiveMode;
  readonly error?: ApiError;
  /** The last event of the first batch: anything after it arrived while the page was open. */
  readonly baselineEventId?: string;
  refresh(): void;
}

/** A safety net: a refetch now and then even when no event says anything changed. */
const RESYNC_EVERY_MS = 15_000;

/**
 * A feature, its tasks and its event log, kept current: every batch of new events
 * triggers a refetch of the feature and its tasks (at most one in flight), so the page
 * shows what the store holds rather than a client-side replay of the log.
 */
export function useLiveFeature(id: string): LiveFeature {
  const [data, setData] = useState<{ feature?: FeatureDetail; tasks?: PublicTask[]; error?: ApiError }>({});
  const [events, setEvents] = useState<FeatureEvent[]>([]);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [baselineEventId, setBaseline] = useState<string | undefined>();
  const generation = useRef(0);
  const loading = useRef<{ inFlight: boolean; again: boolean }>({ inFlight: false, again: false });

  const refresh = useCallback(() => {
    const state = loading.current;
    if (state.inFlight) {
      state.again = true;
      return;
    }
    state.inFlight = true;
    const mine = generation.current;
    Promise.all([api.getFeature(id), api.listTasks(id)])
      .then(
        ([feature, tasks]) => {
          if (mine === generation.current) setData({ feature, tasks });
        },
        (error: unknown) => {
          if (mine !== generation.current) return;
          const apiError = error instanceof ApiError ? error : new ApiError(0, { detail: String(error) });
          setData((previous) => ({ ...previous, error: apiError }));
        },
      )
      .finally(() => {
        state.inFlight = false;
        if (state.again && mine === generation.current) {
          state.again = false;
          refresh();
        }
      });
  }, [id]);

  useEffect(() => {
    generation.current += 1;
    loading.current = { inFlight: false, again: false };
    setData({});
    setEvents([]);
    setBaseline(undefined);
    setMode('connecting');
    refresh();
    let first = true;
    const follower = followFeatureEvents(id, {
      onMode: setMode,
      onEvents: (batch) => {
        setEvents((previous) => [...previous, ...batch]);
        if (first) {
          first = false;
          setBaseline(batch.at(-1)?.id);
        }
        refresh();
      },
    });
    const resync = setInterval(refresh, RESYNC_EVERY_MS);
    return () => {
      follower.close();
      clearInterval(resync);
    };
  }, [id, refresh]);

  return { ...data, events, mode, refresh, ...(baselineEventId ? { baselineEventId } : {}) };
}
