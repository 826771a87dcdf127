import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, listAllEvents, mapLimited, type FactoryMetrics, type FeatureSummary } from '../api.js';
import { computeMetrics, type FeatureHistory } from '../metrics.js';
import { formatDuration, formatDurationShort, plural } from '../format.js';
import { featureLooks, featureStatusList } from '../status.js';
import { PageTitle } from '../components/page-title.js';
import { BarChart, ChartData, ChartLegend, RangeChart, type Series } from '../components/charts.js';
import { FeatureStatusBadge } from '../components/status-badge.js';
import { CardHead } from '../components/card-head.js';
import { formatTokens, formatUsd, usageLine } from '../work.js';

/** How far back the metrics look: the newest features, enough for trends without a long load. */
const MAX_FEATURES = 100;
const DAYS = 14;

const velocitySeries: readonly Series[] = [
  { label: 'Submitted', className: 'bar-a', colour: '#6172f3' },
  { label: 'Shipped (PR opened)', className: 'bar-b', colour: '#32d583' },
];
const leadSeries: readonly Series[] = [{ label: 'Lead time', className: 'bar-c', colour: '#7a5af8' }];
const costSeries: readonly Series[] = [{ label: 'Model cost', className: 'bar-a', colour: '#6172f3' }];
const coverageSeries: readonly Series[] = [{ label: 'Line coverage', className: 'bar-b', colour: '#32d583' }];
/** The charts per feature show this many, oldest first. */
const CHART_FEATURES = 20;

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
  const [factory, setFactory] = useState<FactoryMetrics | undefined>();
  const [factoryError, setFactoryError] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    api.getMetrics({ limit: MAX_FEATURES }).then(
      (loaded) => live && setFactory(loaded),
      (failure: unknown) => live && setFactoryError(failure instanceof ApiError ? failure.message : String(failure)),
    );
    loadHistories().then(
      (loaded) => live && setHistories(loaded),
      (failure: unknown) => live && setError(failure instanceof ApiError ? failure.message : String(failure)),
    );
    return () => {
      live = false;
    };
  }, []);

  const metrics = useMemo(() => (histories ? computeMetrics(histories, { now: Date.now(), days: DAYS }) : undefined), [histories]);
  const titles = useMemo(() => new Map((histories ?? []).map((history) => [history.feature.id, history.feature.title])), [histories]);
  const totals = factory?.totals;
  // Oldest first, as the other charts read.
  const byAge = useMemo(() => [...(factory?.features ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt)), [factory]);
  const costed = byAge.filter((feature) => feature.usage.calls > 0).slice(-CHART_FEATURES);
  const covered = byAge.filter((feature) => feature.coverage.after !== undefined).slice(-CHART_FEATURES);
  const titleOf = (id: string) => titles.get(id) ?? id;
  const factoryMissing = factoryError ? `GET /metrics could not be read: ${factoryError}` : undefined;

  return (
    <div>
      <header class="page-head">
        <div>
          <PageTitle>Metrics</PageTitle>
          <p>Delivery over the last {DAYS} days and the factory's totals (GET /metrics), over the newest {MAX_FEATURES} features.</p>
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
          <dl class="summary-strip" aria-label="Headline numbers" data-testid="headline">
            <div class="stat">
              <dt>Features</dt>
              <dd>{metrics.featureCount}</dd>
            </div>
            <div class="stat">
              <dt>Delivered</dt>
              <dd>
                {totals ? totals.leadTime.delivered : metrics.leadTimes.length} <small>PR opened or merged</small>
              </dd>
            </div>
            <div class="stat" data-testid="stat-lead-time">
              <dt>Median lead time</dt>
              <dd>
                {totals ? (
                  totals.leadTime.medianSeconds === null ? (
                    '—'
                  ) : (
                    <>
                      {formatDuration(totals.leadTime.medianSeconds * 1000)} <small>p90 {formatDuration((totals.leadTime.p90Seconds ?? 0) * 1000)}</small>
                    </>
                  )
                ) : metrics.leadTime ? (
                  formatDuration(metrics.leadTime.median)
                ) : (
                  '—'
                )}
              </dd>
            </div>
            <div class="stat" data-testid="stat-throughput">
              <dt>Tasks per hour</dt>
              <dd>
                {totals && totals.tasks.succeeded > 0 ? formatRate(totals.tasksPerHour) : '—'} <small>succeeded, wall clock</small>
              </dd>
            </div>
            <div class="stat">
              <dt>Task success</dt>
              <dd>
                {metrics.tasksEnded === 0 ? '—' : `${Math.round((metrics.tasksSucceeded / metrics.tasksEnded) * 100)}%`}{' '}
                <small>of {plural(metrics.tasksEnded, 'finished task')}</small>
              </dd>
            </div>
            <div class="stat" data-testid="stat-gates">
              <dt>Gate pass rate</dt>
              <dd>
                {totals?.gates.passRate == null ? (
                  <>
                    — <small>no gate report yet</small>
                  </>
                ) : (
                  <>
                    {Math.round(totals.gates.passRate * 100)}% <small>of {plural(totals.gates.reported, 'gated feature')}</small>
                  </>
                )}
              </dd>
            </div>
            <div class="stat" data-testid="stat-cost">
              <dt>Model cost</dt>
              <dd>
                {totals && totals.usage.calls > 0 ? (
                  <>
                    {formatUsd(totals.usage.costUsd)} <small>{formatTokens(totals.usage.inputTokens + totals.usage.outputTokens)} tokens</small>
                  </>
                ) : (
                  <>
                    — <small>no model calls yet</small>
                  </>
                )}
              </dd>
            </div>
          </dl>
          {factoryMissing && (
            <p class="notice" role="status">
              {factoryMissing}. Showing what the feature list and event logs give.
            </p>
          )}

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
                <ChartData columns={['Day', 'Submitted', 'Shipped']} rows={metrics.velocity.map((d) => ({ key: d.day, cells: [d.day, d.submitted, d.shipped] }))} />
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
                    <ChartData
                      columns={['Feature', 'Lead time']}
                      rows={metrics.leadTimes.slice(-20).map((lead) => ({ key: lead.featureId, cells: [lead.title, formatDuration(lead.ms)] }))}
                    />
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
                    <ChartData
                      columns={['Agent', 'Runs', 'Median', '90th pct', 'Longest']}
                      rows={metrics.taskDurations.map((row) => ({
                        key: row.group,
                        cells: [row.group, row.count, formatDuration(row.median), formatDuration(row.p90), formatDuration(row.max)],
                      }))}
                    />
                  </>
                )}
              </div>
            </section>

            <section class="card" aria-labelledby="time-title">
              <CardHead id="time-title" title="Agent time" subtitle="Time agents worked against time tasks waited for a free agent" />
              <div class="card-body" data-testid="agent-time">
                {!totals ? (
                  <div class="empty-chart">
                    <strong>No totals</strong>
                    {factoryMissing ?? 'Loading…'}
                  </div>
                ) : totals.agentSeconds + totals.queuedSeconds === 0 ? (
                  <div class="empty-chart">
                    <strong>No task has run yet</strong>
                    Agent and waiting time appear once agents pick up tasks.
                  </div>
                ) : (
                  <AgentTime agentSeconds={totals.agentSeconds} queuedSeconds={totals.queuedSeconds} conflicts={totals.conflictsResolved} />
                )}
              </div>
            </section>

            <section class="card" aria-labelledby="coverage-title">
              <CardHead id="coverage-title" title="Coverage trend" subtitle="Line coverage the review's gates measured, per feature" />
              <div class="card-body">
                {covered.length === 0 ? (
                  <div class="empty-chart" data-testid="coverage-empty">
                    <strong>No coverage data yet</strong>
                    {factoryMissing ?? 'No review task has reported a coverage gate yet. This chart fills in once one does.'}
                  </div>
                ) : (
                  <div data-testid="coverage-chart">
                    <ChartLegend series={coverageSeries} />
                    <BarChart
                      label={`Line coverage of the last ${covered.length} gated features: ${covered.map((feature) => `${feature.coverage.after}%`).join(', ')}`}
                      categories={covered.map((_, i) => `#${i + 1}`)}
                      series={coverageSeries}
                      values={covered.map((feature) => [feature.coverage.after ?? 0])}
                      formatTick={(value) => `${value}%`}
                    />
                    <ChartData
                      columns={['Feature', 'Coverage']}
                      rows={covered.map((feature) => ({ key: feature.featureId, cells: [titleOf(feature.featureId), `${feature.coverage.after}%`] }))}
                    />
                  </div>
                )}
              </div>
            </section>

            <section class="card" aria-labelledby="cost-title">
              <CardHead id="cost-title" title="Cost per feature" subtitle="What the agents' model calls cost, per feature" />
              <div class="card-body">
                {costed.length === 0 || !totals ? (
                  <div class="empty-chart" data-testid="cost-empty">
                    <strong>No cost data yet</strong>
                    {factoryMissing ?? 'No agent has reported token usage yet (sleep tasks run no model), so there is no cost to show. No estimate is shown in its place.'}
                  </div>
                ) : (
                  <div data-testid="cost-chart">
                    <p style={{ margin: '0 0 8px' }}>
                      <strong>{formatUsd(totals.usage.costUsd)}</strong> <span class="muted">in all: {usageLine(totals.usage)}</span>
                    </p>
                    <ChartLegend series={costSeries} />
                    <BarChart
                      label={`Model cost of the last ${costed.length} features with model calls: ${costed.map((feature) => formatUsd(feature.usage.costUsd)).join(', ')}`}
                      categories={costed.map((_, i) => `#${i + 1}`)}
                      series={costSeries}
                      values={costed.map((feature) => [feature.usage.costUsd])}
                      formatTick={(value) => (value === 0 ? '$0' : `$${value < 1 ? value.toFixed(2) : value.toFixed(0)}`)}
                    />
                    <ChartData
                      columns={['Feature', 'Calls', 'Tokens', 'Cost']}
                      rows={costed.map((feature) => ({
                        key: feature.featureId,
                        cells: [
                          titleOf(feature.featureId),
                          feature.usage.calls,
                          formatTokens(feature.usage.inputTokens + feature.usage.outputTokens),
                          formatUsd(feature.usage.costUsd),
                        ],
                      }))}
                    />
                  </div>
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
          </div>
        </div>
      )}
    </div>
  );
}

/** "1837", "11.3", "0.42": per-hour rates read best with about three significant digits. */
function formatRate(perHour: number): string {
  return perHour >= 100 ? String(Math.round(perHour)) : perHour >= 10 ? perHour.toFixed(1) : perHour.toFixed(2);
}

function AgentTime({ agentSeconds, queuedSeconds, conflicts }: { agentSeconds: number; queuedSeconds: number; conflicts: number }) {
  const total = agentSeconds + queuedSeconds;
  const waitingShare = Math.round((queuedSeconds / total) * 100);
  return (
    <>
      <p style={{ margin: 0 }}>
        Agents worked <strong>{formatDuration(agentSeconds * 1000)}</strong>; tasks waited <strong>{formatDuration(queuedSeconds * 1000)}</strong> for a free agent ({waitingShare}% of the
        total).
      </p>
      <div class="split-bar" role="img" aria-label={`Agent time ${formatDuration(agentSeconds * 1000)}, waiting time ${formatDuration(queuedSeconds * 1000)}`}>
        <span class="agent" style={{ width: `${(agentSeconds / total) * 100}%` }} />
        <span class="waiting" style={{ width: `${(queuedSeconds / total) * 100}%` }} />
      </div>
      <ul class="split-legend">
        <li>
          <i class="agent" aria-hidden="true" />
          Working {formatDuration(agentSeconds * 1000)}
        </li>
        <li>
          <i class="waiting" aria-hidden="true" />
          Waiting {formatDuration(queuedSeconds * 1000)}
        </li>
        <li>{conflicts === 0 ? 'No merge conflicts' : `${plural(conflicts, 'conflict')} resolved by the conflict agent`}</li>
      </ul>
    </>
  );
}
