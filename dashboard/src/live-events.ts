import { featureEventSchema, type FeatureEvent } from '../../lambdas/core/feature-event.js';
import { api, eventStreamUrl } from './api.js';

/**
 * - `connecting`: opening the stream (or reconnecting after a drop);
 * - `live`: events arrive over Server-Sent Events as they are written;
 * - `polling`: no stream here (the AWS HTTP API has none), so the events endpoint is asked
 *   every few seconds;
 * - `offline`: the API cannot be reached; retrying.
 */
export type LiveMode = 'connecting' | 'live' | 'polling' | 'offline';

export interface FollowOptions {
  readonly onEvents: (events: FeatureEvent[]) => void;
  readonly onMode: (mode: LiveMode) => void;
  /** Skip the stream and poll from the start. */
  readonly preferPolling?: boolean;
  readonly pollEveryMs?: number;
}

export interface Follower {
  close(): void;
}

const PAGE = 500;
const MAX_BACKOFF_MS = 10_000;

/**
 * Follows a feature's event log from its first event: over the local server's SSE stream
 * when there is one, else by polling `GET /features/{id}/events?after=`. Either way each
 * event is delivered once, in order.
 */
export function followFeatureEvents(featureId: string, options: FollowOptions): Follower {
  let closed = false;
  let lastEventId: string | undefined;
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pollEveryMs = options.pollEveryMs ?? 2000;

  const deliver = (events: FeatureEvent[]) => {
    // A reconnect resumes from Last-Event-ID, but a switch to polling may overlap by a few.
    const fresh = lastEventId === undefined ? events : events.filter((event) => event.id > lastEventId!);
    if (fresh.length === 0) return;
    lastEventId = fresh.at(-1)!.id;
    options.onEvents(fresh);
  };

  const poll = async (failures: number) => {
    if (closed) return;
    let delay = pollEveryMs;
    try {
      const page = await api.listEvents(featureId, { limit: PAGE, ...(lastEventId ? { after: lastEventId } : {}) });
      if (closed) return;
      options.onMode('polling');
      deliver(page.items);
      failures = 0;
      if (page.items.length === PAGE) delay = 0;
    } catch {
      if (closed) return;
      failures += 1;
      options.onMode('offline');
      delay = Math.min(MAX_BACKOFF_MS, pollEveryMs * 2 ** failures);
    }
    timer = setTimeout(() => void poll(failures), delay);
  };

  const startPolling = () => {
    source?.close();
    source = undefined;
    void poll(0);
  };

  if (options.preferPolling || typeof EventSource === 'undefined') {
    startPolling();
  } else {
    options.onMode('connecting');
    // Events batch per task so one burst (a cancel touches every task) renders once.
    let batch: FeatureEvent[] = [];
    let flush: ReturnType<typeof setTimeout> | undefined;
    source = new EventSource(eventStreamUrl(featureId));
    source.addEventListener('open', () => options.onMode('live'));
    source.addEventListener('heartbeat', () => options.onMode('live'));
    source.addEventListener('feature-event', (message) => {
      const parsed = featureEventSchema.safeParse(safeJson((message as MessageEvent<string>).data));
      if (!parsed.success) return;
      batch.push(parsed.data);
      flush ??= setTimeout(() => {
        flush = undefined;
        const events = batch;
        batch = [];
        if (!closed) deliver(events);
      }, 30);
    });
    source.addEventListener('error', () => {
      if (closed) return;
      // CLOSED means the server answered without a stream (404 on a host without SSE):
      // fall back to polling. CONNECTING means the browser is already retrying.
      if (source?.readyState === EventSource.CLOSED) startPolling();
      else options.onMode('connecting');
    });
  }

  return {
    close() {
      closed = true;
      source?.close();
      clearTimeout(timer);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
