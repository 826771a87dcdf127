import { factoryMetrics, gatePassed, type FactoryFeatureMetrics, type FactoryMetrics } from '../core/factory-metrics.js';
import { featureMetrics } from '../core/feature-metrics.js';
import type { Feature } from '../core/feature.js';
import type { Clock } from '../ports/clock.js';
import type { FeatureStore } from '../ports/feature-store.js';

export interface MetricsDeps {
  readonly store: FeatureStore;
  readonly clock: Clock;
}

export interface MetricsResponse extends FactoryMetrics {
  /** The `now` that unfinished features' lead times run to. */
  readonly generatedAt: string;
}

/** Smaller pages than a caller may ask for: a DynamoDB query stops at 1 MB, and features carry long descriptions. */
const LIST_PAGE = 50;
/** Two reads per feature; a few at a time keeps 200 features well inside the API function's timeout without a burst of reads. */
const CONCURRENT_READS = 8;

/** The factory's metrics over its `limit` most recent features, read from the store. */
export async function getFactoryMetrics(deps: MetricsDeps, query: { limit: number }): Promise<MetricsResponse> {
  const now = deps.clock.now().toISOString();
  const features: Feature[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listFeatures({ limit: Math.min(LIST_PAGE, query.limit - features.length), ...(cursor ? { cursor } : {}) });
    features.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && features.length < query.limit);

  const rows = await mapConcurrently(features.slice(0, query.limit), CONCURRENT_READS, async (listed) => {
    const [found, events] = await Promise.all([deps.store.getFeatureWithTasks(listed.id), deps.store.listEvents(listed.id)]);
    // Listed a moment ago and gone now: nothing to measure.
    if (!found) return undefined;
    const verdict = gatePassed(found.tasks);
    const row: FactoryFeatureMetrics = {
      ...featureMetrics(found.feature, found.tasks, events, now),
      createdAt: found.feature.createdAt,
      ...(verdict === undefined ? {} : { gatePassed: verdict }),
    };
    return row;
  });
  return { generatedAt: now, ...factoryMetrics(rows.filter((row) => row !== undefined)) };
}

/** `map` with at most `limit` calls in flight, results in input order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
