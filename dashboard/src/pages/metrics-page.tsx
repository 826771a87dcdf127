import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, listAllEvents, mapLimited, type FeatureSummary } from '../api.js';
import { computeMetrics, type FeatureHistory } from '../metrics.js';
import { formatDuration, formatDurationShort, plural } from '../format.js';
import { featureLooks, featureStatusList } from '../status.js';
import { PageTitle } from '../components/page-title.js';
import { BarChart, ChartLegend, RangeChart, type Series } from '../components/charts.js';
import { FeatureStatusBadge } from '../components/status-badge.js';
import { CardHead } from '../components/card-head.js';

/** How far back the metrics look: the newest features, enough for trends without a long load. */
const MAX_FEATURES = 100;
const DAYS = 14;

const velocitySeries: readonly Series[] = [
  { label: 'Submitted', className: 'bar-a', colour: '#6172f3' },
  { label: 'Shipped (PR opened)', className: 'bar-b', colour: '#32d583' },
];
const leadSeries: readonly Series[] = [{ label: 'Lead time', className: 'bar-c', colour: '#7a5af8' }];

async function loadHistories(): Promise<FeatureHistory[]> {
  const features: FeatureSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listFeatures({ limit: 100, ...(cursor ? { cursor } : {}) });
    features.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && features.length < MAX_FEATURES);
  return mapLimited(features.slice(0, MAX_FEATURES), 6, async (feature) => {
    const [tasks, events] = await Promise.all([api.listTasks(feature.id), listAllEvents(feature.id)]);
    return { feature, tasks, events };
  });
}

export function MetricsPage() {
  const [histories, setHistories] = useState<FeatureHistory[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    loadHistories().then(
      (loaded) => live && setHistories(loaded),
      (failure: unknown) => live && setError(failure instanceof ApiError ? failure.message : String(failure)),
    );
    return () => {
      live = false;
    };
  }, []);

  const metrics = useMemo(() => (histories ? computeMetrics(histories, { now: Date.now(), days: DAYS }) : undefined), [histories]);

  return (
    <div>
      <header class="page-head">
        <div>
          <PageTitle>Metrics</PageTitle>
          <p>Delivery over the last {DAYS} days, computed from the newest {MAX_FEATURES} features and their event logs.</p>
        </div>
      </header>
      {error && (
        <p class="error-summary" role="alert">
          Could not load metrics: {error}
        </p>
      )}
      {!metrics && !error && (
        <p class="loading" role="status">
          Loading metrics…
        </p>
      )}
      {metrics && (
        <div class="stack" data-testid="metrics">
          <dl class="summary-strip" aria-label="Headline numbers">
            <div class="stat">
              <dt>Features</dt>
              <dd>{metrics.featureCount}</dd>
            </div>
            <div class="stat">
              <dt>Shipped</dt>
              <dd>
                {metrics.leadTimes.length} <small>PR opened</small>
              </dd>
            </div>
            <div class="stat">
              <dt>Median lead time</dt>
              <dd>{metrics.leadTime ? formatDuration(metrics.leadTime.median) : '—'}</dd>
            </div>
            <div class="stat">
              <dt>Task success</dt>
              <dd>
                {metrics.tasksEnded === 0 ? '—' : `${Math.round((metrics.tasksSucceeded / metrics.tasksEnded) * 100)}%`}{' '}
                <small>of {plural(metrics.tasksEnded, 'finished task')}</small>
              </dd>
            </div>
          </dl>

          <div class="grid-2">
            <section class="card" aria-labelledby="velocity-title">
              <CardHead id="velocity-title" title="Velocity" subtitle="Features submitted and shipped per day" />
              <div class="card-body">
                <ChartLegend series={velocitySeries} />
                <BarChart
                  label={`Velocity over ${DAYS} days: ${metrics.velocity.reduce((s, d) => s + d.submitted, 0)} submitted, ${metrics.velocity.reduce((s, d) => s + d.shipped, 0)} shipped`}
                  categories={metrics.velocity.map((d) => d.day.slice(5))}
                  series={velocitySeries}
                  values={metrics.velocity.map((d) => [d.submitted, d.shipped])}
                />
                <details class="data">
                  <summary>Data table</summary>
                  <table class="data-table">
                    <thead>
                      <tr>
                        <th scope="col">Day</th>
                        <th scope="col" class="num">
                          Submitted
                        </th>
                        <th scope="col" class="num">
                          Shipped
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {metrics.velocity.map((d) => (
                        <tr key={d.day}>
                          <td>{d.day}</td>
                          <td class="num">{d.submitted}</td>
                          <td class="num">{d.shipped}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              </div>
            </section>

            <section class="card" aria-labelledby="lead-title">
              <CardHead id="lead-title" title="Lead time" subtitle="From submission to pull request, per shipped feature" />
              <div class="card-body">
                {metrics.leadTimes.length === 0 ? (
                  <div class="empty-chart">
                    <strong>No feature has shipped yet</strong>
                    Lead time appears once a feature reaches “PR open”.
                  </div>
                ) : (
                  <>
                    <ChartLegend series={leadSeries} extra={{ label: `Median ${formatDuration(metrics.leadTime!.median)}`, colour: '#f79009' }} />
                    <BarChart
                      label={`Lead time of the last ${Math.min(20, metrics.leadTimes.length)} shipped features; median ${formatDuration(metrics.leadTime!.median)}, 90th percentile ${formatDuration(metrics.leadTime!.p90)}`}
                      categories={metrics.leadTimes.slice(-20).map((lead, i) => `#${i + 1}`)}
                      series={leadSeries}
                      values={metrics.leadTimes.slice(-20).map((lead) => [lead.ms])}
                      formatTick={formatDurationShort}
                      reference={{ value: metrics.leadTime!.median, label: 'median' }}
                    />
                    <details class="data">
                      <summary>Data table</summary>
                      <table class="data-table">
                        <thead>
                          <tr>
                            <th scope="col">Feature</th>
                            <th scope="col" class="num">
                              Lead time
                            </th>
                          </tr>
                        </thead>
                        <tbody>
                          {metrics.leadTimes.slice(-20).map((lead) => (
                            <tr key={lead.featureId}>
                              <td>{lead.title}</td>
                              <td class="num">{formatDuration(lead.ms)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </details>
                  </>
                )}
              </div>
            </section>

            <section class="card" aria-labelledby="durations-title">
              <CardHead id="durations-title" title="Task duration by agent" subtitle="Median bar, whisker to the 90th percentile" />
              <div class="card-body">
                {metrics.taskDurations.length === 0 ? (
                  <div class="empty-chart">
                    <strong>No finished task yet</strong>
                    Durations appear once agents finish tasks.
                  </div>
                ) : (
                  <>
                    <RangeChart
                      label={`Task durations: ${metrics.taskDurations.map((row) => `${row.group} median ${formatDuration(row.median)}`).join(', ')}`}
                      rows={metrics.taskDurations}
                      format={formatDurationShort}
                    />
                    <details class="data">
                      <summary>Data table</summary>
                      <table class="data-table">
                        <thead>
                          <tr>
                            <th scope="col">Agent</th>
                            <th scope="col" class="num">
                              Runs
                            </th>
                            <th scope="col" class="num">
                              Median
                            </th>
                            <th scope="col" class="num">
                              90th pct
                            </th>
                            <th scope="col" class="num">
                              Longest
                            </th>
                          </tr>
                        </thead>
                        <tbody>
                          {metrics.taskDurations.map((row) => (
                            <tr key={row.group}>
                              <td>{row.group}</td>
                              <td class="num">{row.count}</td>
                              <td class="num">{formatDuration(row.median)}</td>
                              <td class="num">{formatDuration(row.p90)}</td>
                              <td class="num">{formatDuration(row.max)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </details>
                  </>
                )}
              </div>
            </section>

            <section class="card" aria-labelledby="outcomes-title">
              <CardHead id="outcomes-title" title="Outcomes" subtitle="Where the features are now" />
              <div class="card-body">
                <ul class="criteria">
                  {featureStatusList
                    .filter((status) => metrics.outcomes.get(status))
                    .map((status) => (
                      <li key={status} style={{ justifyContent: 'space-between', alignItems: 'center' }}>
                        <FeatureStatusBadge status={status} />
                        <span>
                          <strong>{metrics.outcomes.get(status)}</strong> <span class="muted">{featureLooks[status].hint}</span>
                        </span>
                      </li>
                    ))}
                </ul>
                {metrics.featureCount === 0 && <p class="muted">No features yet.</p>}
              </div>
            </section>

            <section class="card" aria-labelledby="coverage-title">
              <CardHead id="coverage-title" title="Coverage trend" subtitle="Test coverage of merged work over time" />
              <div class="card-body">
                <div class="empty-chart" data-testid="coverage-empty">
                  <strong>No coverage data yet</strong>
                  The quality gates do not report coverage yet. This chart fills in once they do.
                </div>
              </div>
            </section>

            <section class="card" aria-labelledby="cost-title">
              <CardHead id="cost-title" title="Cost per feature" subtitle="Model and compute spend per shipped feature" />
              <div class="card-body">
                <div class="empty-chart" data-testid="cost-empty">
                  <strong>No cost data yet</strong>
                  Agents do not report token usage yet, so there is no cost to show. No estimate is shown in its place.
                </div>
              </div>
            </section>
          </div>
        </div>
      )}
    </div>
  );
}
