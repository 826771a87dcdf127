import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { FeatureStatus } from '../../../lambdas/core/feature.js';
import type { TaskStatus } from '../../../lambdas/core/task.js';
import { api, ApiError, mapLimited, type FeatureDetail, type FeatureSummary } from '../api.js';
import { formatAge, formatDateTime, useNow } from '../format.js';
import { href, navigate } from '../router.js';
import { featureLooks, featureStatusList, isFeatureActive, isFeatureStatus, taskStatusList } from '../status.js';
import { FeatureStatusBadge } from '../components/status-badge.js';
import { PageTitle } from '../components/page-title.js';
import { StatusBar } from './feature-page.js';

const PAGE_SIZE = 50;
const REFRESH_EVERY_MS = 4000;

interface ListState {
  readonly features: readonly FeatureSummary[];
  readonly details: ReadonlyMap<string, FeatureDetail>;
  readonly nextCursor?: string;
  readonly loaded: boolean;
  readonly error?: string;
}

/** Newest first: feature ids are ULIDs, so they sort by creation time. */
function merge(current: readonly FeatureSummary[], fresh: readonly FeatureSummary[]): FeatureSummary[] {
  const byId = new Map(current.map((feature) => [feature.id, feature]));
  for (const feature of fresh) byId.set(feature.id, feature);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export function FeaturesPage({ status }: { status?: string }) {
  const now = useNow(10_000);
  const [state, setState] = useState<ListState>({ features: [], details: new Map(), loaded: false });
  const stateRef = useRef(state);
  stateRef.current = state;
  const [loadingMore, setLoadingMore] = useState(false);

  const loadDetails = useCallback(async (features: readonly FeatureSummary[]) => {
    const known = stateRef.current.details;
    // Task counts move while a feature is active; a finished feature's never do.
    const stale = features.filter((feature) => !known.has(feature.id) || isFeatureActive(feature.status) || known.get(feature.id)!.status !== feature.status);
    const fetched = await mapLimited(stale, 6, (feature) => api.getFeature(feature.id).catch(() => undefined));
    setState((previous) => {
      const details = new Map(previous.details);
      for (const detail of fetched) if (detail) details.set(detail.id, detail);
      return { ...previous, details };
    });
  }, []);

  const refresh = useCallback(async () => {
    try {
      const page = await api.listFeatures({ limit: PAGE_SIZE });
      setState((previous) => {
        const features = merge(previous.features, page.items);
        const { error: _error, ...rest } = previous;
        // The first load sets the cursor; later refreshes only update what is already shown.
        return previous.loaded ? { ...rest, features, loaded: true } : { ...rest, features, loaded: true, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      });
      await loadDetails(page.items);
    } catch (error) {
      setState((previous) => ({ ...previous, loaded: true, error: error instanceof ApiError ? error.message : String(error) }));
    }
  }, [loadDetails]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_EVERY_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const loadMore = async () => {
    if (!state.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await api.listFeatures({ limit: PAGE_SIZE, cursor: state.nextCursor });
      setState((previous) => {
        const { nextCursor: _cursor, ...rest } = previous;
        return { ...rest, features: merge(previous.features, page.items), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      });
      await loadDetails(page.items);
    } finally {
      setLoadingMore(false);
    }
  };

  const filter: FeatureStatus | undefined = status && isFeatureStatus(status) ? status : undefined;
  const counts = new Map<FeatureStatus, number>();
  for (const feature of state.features) counts.set(feature.status, (counts.get(feature.status) ?? 0) + 1);
  const shown = filter ? state.features.filter((feature) => feature.status === filter) : state.features;
  const count = (...statuses: FeatureStatus[]) => statuses.reduce((sum, s) => sum + (counts.get(s) ?? 0), 0);

  return (
    <div>
      <header class="page-head">
        <div>
          <PageTitle>Features</PageTitle>
          <p>Every feature request, from plan to pull request. Updates as agents work.</p>
        </div>
        <a class="button button-primary" href={href({ name: 'new' })}>
          <span aria-hidden="true">+</span> New feature
        </a>
      </header>

      <dl class="summary-strip" aria-label="Summary of the features shown">
        <div class="stat">
          <dt>In progress</dt>
          <dd>{count('queued', 'planning', 'running', 'gating')}</dd>
        </div>
        <div class="stat">
          <dt>Shipped</dt>
          <dd>
            {count('pr_open', 'merged')} <small>PR open or merged</small>
          </dd>
        </div>
        <div class="stat">
          <dt>Failed</dt>
          <dd>{count('failed')}</dd>
        </div>
        <div class="stat">
          <dt>Needs attention</dt>
          <dd>
            {count('needs_human')} <small>waiting on a person</small>
          </dd>
        </div>
      </dl>

      <section class="card" aria-labelledby="list-title">
        <div class="card-head">
          <h2 id="list-title" class="visually-hidden">
            Feature list
          </h2>
          <div class="toolbar">
            <label for="status-filter">Status</label>
            <select
              id="status-filter"
              value={filter ?? ''}
              onChange={(event) => {
                const value = (event.currentTarget as HTMLSelectElement).value;
                navigate(value ? { name: 'features', status: value } : { name: 'features' }, { replace: true });
              }}
            >
              <option value="">All statuses ({state.features.length})</option>
              {featureStatusList.map((s) => (
                <option key={s} value={s}>
                  {featureLooks[s].label} ({counts.get(s) ?? 0})
                </option>
              ))}
            </select>
            <span class="count" role="status" data-testid="list-count">
              {state.loaded ? `Showing ${shown.length} of ${state.features.length}` : 'Loading…'}
            </span>
          </div>
          {status && !filter && <p class="field-error">Unknown status “{status}”: showing all.</p>}
        </div>
        {state.error && (
          <p class="error-summary" role="alert" style={{ margin: '16px' }}>
            Could not load features: {state.error}
          </p>
        )}
        {state.loaded && state.features.length === 0 && !state.error ? (
          <div class="empty">
            <h3>No features yet</h3>
            <p>Submit a feature request; DSF plans it into tasks, runs agents on each and opens a pull request.</p>
            <a class="button button-primary" href={href({ name: 'new' })}>
              Submit a feature
            </a>
          </div>
        ) : state.loaded && shown.length === 0 ? (
          <div class="empty">
            <h3>No {filter ? featureLooks[filter].label.toLowerCase() : ''} features</h3>
            <p>None of the {state.features.length} features loaded has this status.</p>
            <a class="button" href={href({ name: 'features' })}>
              Show all
            </a>
          </div>
        ) : (
          shown.length > 0 && <FeatureTable features={shown} details={state.details} now={now} />
        )}
        <div class="table-foot">
          <span>Cost per feature appears once agents report token usage.</span>
          {state.nextCursor && (
            <button type="button" class="button" onClick={() => void loadMore()} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Load older features'}
            </button>
          )}
        </div>
      </section>
    </div>
  );
}

function FeatureTable({ features, details, now }: { features: readonly FeatureSummary[]; details: ReadonlyMap<string, FeatureDetail>; now: number }) {
  return (
    <table class="data-table stack-table" data-testid="feature-table">
      <thead>
        <tr>
          <th scope="col">Feature</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col">Age</th>
          <th scope="col" class="num">
            Cost
          </th>
        </tr>
      </thead>
      <tbody>
        {features.map((feature) => {
          const detail = details.get(feature.id);
          const summary = detail?.taskSummary;
          const total = summary?.['total'] ?? feature.taskIds.length;
          const finished = summary ? (summary['succeeded'] ?? 0) + (summary['failed'] ?? 0) + (summary['skipped'] ?? 0) + (summary['cancelled'] ?? 0) : undefined;
          return (
            <tr key={feature.id} data-feature-id={feature.id} data-status={feature.status}>
              <td class="feature-cell">
                <a href={href({ name: 'feature', id: feature.id })}>{feature.title}</a>
                <span class="sub">
                  <span class="mono">{feature.id}</span> · {feature.repo}
                </span>
              </td>
              <td data-label="Status">
                <FeatureStatusBadge status={feature.status} compact />
              </td>
              <td data-label="Progress">
                {total === 0 ? (
                  <span class="muted">{feature.status === 'planning' || feature.status === 'queued' ? 'planning…' : 'no tasks'}</span>
                ) : (
                  <div class="progress">
                    {summary ? <StatusBar counts={summaryCounts(summary)} /> : <div class="progress-bar" />}
                    <span class="progress-label">{finished === undefined ? `${total} tasks` : `${finished} of ${total} tasks finished`}</span>
                  </div>
                )}
              </td>
              <td data-label="Age">
                <time dateTime={feature.createdAt} title={formatDateTime(feature.createdAt)}>
                  {formatAge(feature.createdAt, now)}
                </time>
              </td>
              <td data-label="Cost" class="num">
                <span class="muted" aria-hidden="true" title="Not measured yet">
                  —
                </span>
                <span class="visually-hidden">not measured yet</span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function summaryCounts(summary: Readonly<Record<string, number>>): Partial<Record<TaskStatus, number>> {
  return Object.fromEntries(taskStatusList.map((status) => [status, summary[status] ?? 0]));
}
