import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { FeatureEvent } from '../../../lambdas/core/feature-event.js';
import type { TaskStatus } from '../../../lambdas/core/task.js';
import { api, ApiError, type FeatureDetail, type PublicTask } from '../api.js';
import { criticalPath } from '../dag-layout.js';
import { formatAge, formatDateTime, formatDuration, plural, useNow } from '../format.js';
import { href, navigate } from '../router.js';
import { featureLooks, isFeatureActive, isTaskDone, taskLooks, taskStatusList } from '../status.js';
import { featureMilestones, gateOutcome, taskDuration, taskTimings, type TaskTiming } from '../timeline.js';
import { useLiveFeature } from '../use-live-feature.js';
import { ActivityStream, LiveIndicator } from '../components/activity-stream.js';
import { FeatureStatusBadge, StatusIconSvg, TaskStatusBadge } from '../components/status-badge.js';
import { TaskGraph } from '../components/task-graph.js';
import { PageTitle } from '../components/page-title.js';
import { topologicalOrder } from '../../../lambdas/core/task-graph.js';
import { CardHead } from '../components/card-head.js';
import { GateReport, ReviewDecision } from '../components/gate-report.js';
import { TranscriptPanel } from '../components/transcript-panel.js';
import { totalUsage } from '../../../lambdas/core/feature-review.js';
import { conflictsOf, formatTokens, formatUsd, gateCounts, gateTaskOf, shortSha, usageLine } from '../work.js';

export function FeaturePage({ id, selectedTask }: { id: string; selectedTask?: string }) {
  const live = useLiveFeature(id);
  const now = useNow(1000);
  const { feature, tasks, events } = live;
  const timings = useMemo(() => taskTimings(events), [events]);

  const select = (taskId: string) => navigate({ name: 'feature', id, task: taskId }, { replace: true });

  if (!feature || !tasks) {
    if (live.error) {
      return (
        <section class="card empty" aria-labelledby="page-title">
          <PageTitle>{live.error.status === 404 ? 'Feature not found' : 'The feature could not be loaded'}</PageTitle>
          <p>{live.error.status === 404 ? `There is no feature with the id ${id}.` : live.error.message}</p>
          <a class="button" href={href({ name: 'features' })}>
            Back to features
          </a>
        </section>
      );
    }
    return (
      <p class="loading" role="status">
        Loading feature…
      </p>
    );
  }

  const selected = tasks.find((task) => task.id === selectedTask);
  return (
    <div class="stack">
      <FeatureHeader feature={feature} tasks={tasks} events={events} now={now} onChanged={live.refresh} />
      {live.error && (
        <p class="error-summary" role="alert">
          Could not refresh: {live.error.message} Showing the last known state.
        </p>
      )}
      <Overview feature={feature} tasks={tasks} events={events} now={now} />
      {tasks.length === 0 ? (
        <section class="card empty" aria-labelledby="graph-title">
          <h2 id="graph-title">No tasks yet</h2>
          <p>{feature.status === 'planning' || feature.status === 'queued' ? 'The planner is breaking the feature into tasks.' : 'This feature has no tasks.'}</p>
        </section>
      ) : (
        <GraphCard tasks={tasks} timings={timings} now={now} {...(selected ? { selected: selected.id } : {})} onSelect={select} />
      )}
      <div class="grid-side">
        <div class="stack">
          <TaskDetails task={selected} tasks={tasks} timing={selected ? timings.get(selected.id) : undefined} now={now} onSelect={select} />
          {selected && <TranscriptPanel key={selected.id} featureId={feature.id} task={selected} />}
          <Delivery feature={feature} tasks={tasks} events={events} onSelect={select} />
        </div>
        <section class="card" aria-labelledby="activity-title">
          <div class="card-head">
            <div>
              <h2 id="activity-title">Activity</h2>
              <p>Agent steps and status changes, newest first</p>
            </div>
            <LiveIndicator mode={live.mode} />
          </div>
          <ActivityStream events={events} {...(live.baselineEventId ? { freshSince: live.baselineEventId } : {})} onSelectTask={select} />
        </section>
      </div>
      {tasks.length > 0 && <TaskTable tasks={tasks} timings={timings} now={now} {...(selected ? { selected: selected.id } : {})} onSelect={select} />}
    </div>
  );
}

function FeatureHeader({
  feature,
  tasks,
  events,
  now,
  onChanged,
}: {
  feature: FeatureDetail;
  tasks: readonly PublicTask[];
  events: readonly FeatureEvent[];
  now: number;
  onChanged: () => void;
}) {
  const milestones = featureMilestones(events);
  const usage = totalUsage(tasks);
  const ended = milestones.merged ?? milestones.failed ?? milestones.cancelled;
  const look = featureLooks[feature.status];
  return (
    <header class="page-head">
      <div style={{ minWidth: 0, flex: '1 1 520px' }}>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
          <ol>
            <li>
              <a href={href({ name: 'features' })}>Features</a>
            </li>
            <li aria-current="page">{feature.id}</li>
          </ol>
        </nav>
        <div class="feature-title">
          <PageTitle>{feature.title}</PageTitle>
          <span data-testid="feature-status" data-status={feature.status}>
            <FeatureStatusBadge status={feature.status} />
          </span>
        </div>
        <p style={{ margin: '8px 0 0', color: 'var(--text-2)', maxWidth: '80ch' }}>{feature.description}</p>
        <dl class="meta-row">
          <div>
            <dt>Repository</dt>
            <dd>{feature.repo}</dd>
          </div>
          <div>
            <dt>Base</dt>
            <dd class="mono">{feature.baseBranch}</dd>
          </div>
          <div>
            <dt>Submitted</dt>
            <dd>
              <time dateTime={feature.createdAt} title={formatDateTime(feature.createdAt)}>
                {formatAge(feature.createdAt, now)}
              </time>
            </dd>
          </div>
          <div>
            <dt>{ended ? 'Took' : 'Elapsed'}</dt>
            <dd>{formatDuration((ended ?? now) - Date.parse(feature.createdAt))}</dd>
          </div>
          {feature.pullRequest && (
            <div data-testid="pull-request">
              <dt>Pull request</dt>
              <dd>
                <PullRequestLink feature={feature} /> <span class="muted">{feature.status === 'merged' ? 'merged' : 'open'}</span>
              </dd>
            </div>
          )}
          {usage.calls > 0 && (
            <div data-testid="feature-cost">
              <dt>Cost</dt>
              <dd title={usageLine(usage)}>
                {formatUsd(usage.costUsd)} <span class="muted">· {formatTokens(usage.inputTokens + usage.outputTokens)} tokens</span>
              </dd>
            </div>
          )}
        </dl>
        {feature.statusReason && (
          <p class={`status-reason tone-${look.tone}`}>
            <strong>{look.label}:</strong> {feature.statusReason}
          </p>
        )}
      </div>
      {isFeatureActive(feature.status) || feature.status === 'needs_human' ? <CancelControl feature={feature} onChanged={onChanged} /> : null}
    </header>
  );
}

function CancelControl({ feature, onChanged }: { feature: FeatureDetail; onChanged: () => void }) {
  const [state, setState] = useState<'idle' | 'confirming' | 'cancelling'>('idle');
  const [error, setError] = useState<string | undefined>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (state === 'confirming') confirmRef.current?.focus();
  }, [state]);

  const cancel = async () => {
    setState('cancelling');
    setError(undefined);
    try {
      await api.cancelFeature(feature.id);
      onChanged();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
      setState('idle');
    }
  };

  return (
    <div class="cancel-box">
      {state === 'idle' ? (
        <button ref={openRef} type="button" class="button button-danger" onClick={() => setState('confirming')}>
          <StatusIconSvg icon="slash" />
          Cancel feature
        </button>
      ) : (
        <div class="cancel-confirm" role="group" aria-labelledby="cancel-question">
          <p id="cancel-question">
            <strong>Cancel “{feature.title}”?</strong> Running agents are told to stop and every unfinished task is cancelled. This cannot be undone.
          </p>
          <div class="actions">
            <button ref={confirmRef} type="button" class="button button-danger-solid" disabled={state === 'cancelling'} onClick={() => void cancel()}>
              {state === 'cancelling' ? 'Cancelling…' : 'Yes, cancel it'}
            </button>
            <button
              type="button"
              class="button"
              disabled={state === 'cancelling'}
              onClick={() => {
                setState('idle');
                queueMicrotask(() => openRef.current?.focus());
              }}
            >
              Keep it running
            </button>
          </div>
        </div>
      )}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function Overview({ feature, tasks, events, now }: { feature: FeatureDetail; tasks: readonly PublicTask[]; events: readonly FeatureEvent[]; now: number }) {
  const counts = countByStatus(tasks);
  const done = tasks.filter((task) => isTaskDone(task.status)).length;
  const active = (counts.running ?? 0) + (counts.queued ?? 0);
  const critical = useMemo(() => (tasks.length ? criticalPath(orderTasks(tasks)) : []), [tasks]);
  const criticalSeconds = critical.reduce((sum, id) => sum + (tasks.find((task) => task.id === id)?.estimatedSeconds ?? 0), 0);
  const criticalLeft = critical.filter((id) => !isTaskDone(tasks.find((task) => task.id === id)!.status)).length;
  const milestones = featureMilestones(events);
  const started = milestones.running;
  const summary = taskStatusList
    .filter((status) => counts[status])
    .map((status) => `${counts[status]} ${taskLooks[status].label.toLowerCase()}`)
    .join(', ');
  return (
    <section class="card overview" aria-label="Progress">
      <div>
        <div class="label">Progress</div>
        <div class="value" data-testid="progress-text">
          {done} of {tasks.length} <small>tasks finished{feature.taskSummary['failed'] ? ` · ${feature.taskSummary['failed']} failed` : ''}</small>
        </div>
        <StatusBar tasks={tasks} />
        <p class="visually-hidden">{summary}</p>
      </div>
      <div>
        <div class="label">In flight</div>
        <div class="value">
          {active} <small>{active === 1 ? 'task' : 'tasks'} queued or running</small>
        </div>
      </div>
      <div>
        <div class="label">Running for</div>
        <div class="value">{started ? formatDuration((milestones.gating ?? milestones.failed ?? milestones.cancelled ?? now) - started) : '—'}</div>
      </div>
      <div>
        <div class="label">Critical path</div>
        <div class="value">
          {plural(critical.length, 'task')} <small>~{formatDuration(criticalSeconds * 1000)} · {criticalLeft} left</small>
        </div>
      </div>
    </section>
  );
}

export function StatusBar({ tasks, counts: given }: { tasks?: readonly { status: TaskStatus }[]; counts?: Partial<Record<TaskStatus, number>> }) {
  const counts = given ?? countByStatus(tasks ?? []);
  const total = Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
  const order: TaskStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled', 'running', 'queued', 'waiting', 'pending'];
  return (
    <div class="progress-bar" aria-hidden="true">
      {total > 0 &&
        order
          .filter((status) => counts[status])
          .map((status) => (
            <span key={status} class={`tone-${taskLooks[status].tone}`} style={{ width: `${((counts[status] ?? 0) / total) * 100}%`, opacity: status === 'pending' || status === 'waiting' ? 0.35 : 1 }} />
          ))}
    </div>
  );
}

/** What the graph and the task table both show, and how either selects a task. */
interface TaskViewProps {
  tasks: readonly PublicTask[];
  timings: ReadonlyMap<string, TaskTiming>;
  now: number;
  selected?: string;
  onSelect: (id: string) => void;
}

function GraphCard({ tasks, timings, now, selected, onSelect }: TaskViewProps) {
  const present = taskStatusList.filter((status) => tasks.some((task) => task.status === status));
  return (
    <section class="card" aria-labelledby="graph-title">
      <div class="card-head">
        <div>
          <h2 id="graph-title">Task graph</h2>
          <p>Dependencies flow left to right; the critical path is drawn in bold</p>
        </div>
        <ul class="legend" aria-label="Legend">
          {present.map((status) => (
            <li key={status} class={`tone-${taskLooks[status].tone}`}>
              <span class="swatch">
                <StatusIconSvg icon={taskLooks[status].icon} size={14} />
              </span>
              {taskLooks[status].label}
            </li>
          ))}
          <li>
            <span class="crit-swatch" aria-hidden="true" />
            Critical path
          </li>
        </ul>
      </div>
      <div class="dag-scroll">
        <TaskGraph
          tasks={tasks}
          timings={timings}
          now={now}
          {...(selected ? { selectedId: selected } : {})}
          onSelect={onSelect}
          label={`Task graph: ${plural(tasks.length, 'task')}. Use Tab or the arrow keys to move between tasks and Enter to show one.`}
        />
      </div>
      <p class="dag-tip">Select a task for its details. Keyboard: Tab to a task, arrow keys to follow the graph, Enter to select.</p>
    </section>
  );
}

function TaskDetails({
  task,
  tasks,
  timing,
  now,
  onSelect,
}: {
  task: PublicTask | undefined;
  tasks: readonly PublicTask[];
  timing: TaskTiming | undefined;
  now: number;
  onSelect: (id: string) => void;
}) {
  if (!task) {
    return (
      <section class="card" aria-labelledby="details-title">
        <div class="card-head">
          <h2 id="details-title">Task details</h2>
        </div>
        <p class="card-body muted" style={{ margin: 0 }}>
          Select a task in the graph or the table to see its agent, attempts, duration, acceptance criteria and result.
        </p>
      </section>
    );
  }
  const look = taskLooks[task.status];
  const duration = taskDuration(timing, now);
  const dependents = tasks.filter((other) => other.dependsOn.includes(task.id));
  const criterionState = task.status === 'succeeded' ? 'met' : task.status === 'failed' ? 'not met' : 'not checked yet';
  const criterionIcon = task.status === 'succeeded' ? 'check' : task.status === 'failed' ? 'cross' : 'circle';
  return (
    <section class="card details" aria-labelledby="details-title" data-testid="task-details">
      <div class="card-head">
        <div style={{ minWidth: 0 }}>
          <h2 id="details-title">{task.title}</h2>
          <p class="mono">{task.id}</p>
        </div>
        <TaskStatusBadge status={task.status} />
      </div>
      <div class="card-body">
        {task.description && <p style={{ marginTop: 0 }}>{task.description}</p>}
        <dl>
          <dt>Agent</dt>
          <dd>
            {task.agentType} agent · {task.kind}
            {task.sleep ? <span class="muted"> · sleep {task.sleep.seconds}s, {task.sleep.outcome}</span> : null}
          </dd>
          <dt>Attempts</dt>
          <dd>{task.attempts}</dd>
          <dt>Duration</dt>
          <dd>
            {duration === undefined ? <span class="muted">not started</span> : formatDuration(duration)}
            {timing?.startedAt !== undefined && (
              <span class="muted">
                {' '}
                · started {new Date(timing.startedAt).toLocaleTimeString()}
                {timing.endedAt !== undefined ? `, ended ${new Date(timing.endedAt).toLocaleTimeString()}` : ''}
              </span>
            )}
          </dd>
          <dt>Estimate</dt>
          <dd>{formatDuration(task.estimatedSeconds * 1000)}</dd>
          <dt>Depends on</dt>
          <dd>{task.dependsOn.length === 0 ? <span class="muted">nothing</span> : <TaskChips ids={task.dependsOn} onSelect={onSelect} />}</dd>
          <dt>Unblocks</dt>
          <dd>{dependents.length === 0 ? <span class="muted">nothing</span> : <TaskChips ids={dependents.map((t) => t.id)} onSelect={onSelect} />}</dd>
          <dt>Model usage</dt>
          <dd data-testid="task-usage">
            {task.result?.usage ? usageLine(task.result.usage) : <span class="muted">{task.sleep ? 'none: a sleep task runs no model' : isTaskDone(task.status) ? 'none recorded' : 'not reported yet'}</span>}
          </dd>
          <dt>Branch</dt>
          <dd>{task.result?.branch ? <code>{task.result.branch}</code> : <span class="muted">none</span>}</dd>
          <dt>Commit</dt>
          <dd>
            {task.result?.commit ? (
              <code title={task.result.commit} data-testid="task-commit">
                {shortSha(task.result.commit)}
              </code>
            ) : (
              <span class="muted">none</span>
            )}
          </dd>
          {task.result?.conflictsResolved && task.result.conflictsResolved.length > 0 && (
            <>
              <dt>Conflicts resolved</dt>
              <dd data-testid="task-conflicts">
                {task.result.conflictsResolved.map((path) => (
                  <code key={path} class="chip" style={{ marginRight: '6px' }}>
                    {path}
                  </code>
                ))}
                <span class="muted"> by the conflict agent, integrating this task</span>
              </dd>
            </>
          )}
          <dt>Gates</dt>
          <dd>{task.result?.gate ? <span>report below</span> : <GatesElsewhere tasks={tasks} onSelect={onSelect} />}</dd>
        </dl>
        {task.statusReason && (
          <>
            <h3 class="section-title">Why {look.label.toLowerCase()}</h3>
            <p class={`result-box tone-${look.tone}`} style={{ margin: 0 }}>
              {task.statusReason}
            </p>
          </>
        )}
        <h3 class="section-title">Acceptance criteria</h3>
        {task.acceptanceCriteria.length === 0 ? (
          <p class="muted" style={{ margin: 0 }}>
            None given.
          </p>
        ) : (
          <ul class={`criteria tone-${look.tone}`}>
            {task.acceptanceCriteria.map((criterion) => (
              <li key={criterion}>
                <StatusIconSvg icon={criterionIcon} />
                <span>
                  {criterion} <span class="visually-hidden">({criterionState})</span>
                </span>
              </li>
            ))}
          </ul>
        )}
        {task.result && (
          <>
            <h3 class="section-title">Result</h3>
            <p class={`result-box tone-${look.tone}`} style={{ margin: 0 }}>
              {task.result.error ?? task.result.summary}
            </p>
          </>
        )}
        {task.result?.review && (
          <>
            <h3 class="section-title">Review decision</h3>
            <ReviewDecision review={task.result.review} />
          </>
        )}
        {task.result?.gate && (
          <>
            <h3 class="section-title">Quality gates</h3>
            <GateReport gate={task.result.gate} />
          </>
        )}
      </div>
    </section>
  );
}

function GatesElsewhere({ tasks, onSelect }: { tasks: readonly PublicTask[]; onSelect: (id: string) => void }) {
  const gated = gateTaskOf(tasks);
  if (gated) {
    return (
      <span>
        reported by <TaskChips ids={[gated.id]} onSelect={onSelect} />
      </span>
    );
  }
  const review = tasks.find((task) => task.agentType === 'review');
  return <span class="muted">{review ? `run once per feature by the review task (${review.id}) on the merged work` : 'run once per feature by a review task on the merged work'}</span>;
}

function PullRequestLink({ feature }: { feature: FeatureDetail }) {
  const pr = feature.pullRequest;
  if (!pr) return null;
  // Only web links: the URL comes from the git host, and a javascript: URL must not become a link.
  return pr.url && /^https?:\/\//i.test(pr.url) ? (
    <a href={pr.url} target="_blank" rel="noopener noreferrer">
      #{pr.number}
    </a>
  ) : (
    <b>#{pr.number}</b>
  );
}

function TaskChips({ ids, onSelect }: { ids: readonly string[]; onSelect: (id: string) => void }) {
  return (
    <span style={{ display: 'inline-flex', gap: '6px', flexWrap: 'wrap' }}>
      {ids.map((id) => (
        <button key={id} type="button" class="chip" onClick={() => onSelect(id)} aria-label={`Show task ${id}`}>
          {id}
        </button>
      ))}
    </span>
  );
}

function Delivery({
  feature,
  tasks,
  events,
  onSelect,
}: {
  feature: FeatureDetail;
  tasks: readonly PublicTask[];
  events: readonly FeatureEvent[];
  onSelect: (id: string) => void;
}) {
  const gate = gateOutcome(events, feature.status);
  const gated = gateTaskOf(tasks);
  const report = gated?.result.gate;
  const coverage = report?.gates.find((row) => row.gate === 'coverage');
  const gateRow = (() => {
    switch (gate.state) {
      case 'not-reached':
        return { tone: 'neutral', icon: 'circle', title: 'Not run yet', text: 'The gates run once every task has succeeded.' } as const;
      case 'running':
        return { tone: 'gating', icon: 'gate', title: 'Running', text: 'Typecheck, lint and tests are running on the merged work.' } as const;
      case 'passed':
        return { tone: 'success', icon: 'check', title: 'Passed', text: `Passed ${new Date(gate.at).toLocaleTimeString()}.` } as const;
      case 'failed':
        return { tone: 'danger', icon: 'cross', title: 'Failed', text: gate.reason ?? 'A gate failed; fix work went back to the agents.' } as const;
      case 'blocked':
        return { tone: 'danger', icon: 'slash', title: 'Not run', text: gate.reason ?? 'Not every task succeeded.' } as const;
    }
  })();
  const pr = feature.pullRequest;
  const prRow = (() => {
    if (feature.status === 'merged') return { tone: 'merged', icon: 'merge', title: 'Merged', text: pr?.mergeCommit ? 'Merged as' : 'The pull request was merged.' } as const;
    if (feature.status === 'pr_open') return { tone: 'success', icon: 'pr', title: 'Open', text: 'Awaiting review.' } as const;
    if (feature.status === 'failed' || feature.status === 'cancelled')
      return { tone: 'muted', icon: 'slash', title: 'Not opened', text: `The feature ${featureLooks[feature.status].label.toLowerCase()} before a pull request.` } as const;
    if (pr) return { tone: 'success', icon: 'pr', title: 'Open', text: 'Opened earlier; the feature is being worked on again.' } as const;
    return { tone: 'neutral', icon: 'circle', title: 'Not opened yet', text: 'Opened once the gates pass.' } as const;
  })();
  const usage = totalUsage(tasks);
  const costed = tasks.filter((task) => task.result?.usage).length;
  const conflicts = conflictsOf(tasks);
  return (
    <section class="card" aria-labelledby="delivery-title">
      <div class="card-head">
        <h2 id="delivery-title">Delivery</h2>
      </div>
      <div class="card-body delivery">
        <div class={`delivery-row tone-${gateRow.tone}`} data-testid="gate-result">
          <StatusIconSvg icon={gateRow.icon} size={18} />
          <div>
            <strong>Quality gates: {gateRow.title}</strong>
            <span>
              {gateRow.text}
              {gated && report && (
                <>
                  {' '}
                  {gateCounts(report)}
                  {coverage && typeof coverage.value === 'number' ? `; coverage ${coverage.value}%` : ''}. Report on <TaskChips ids={[gated.id]} onSelect={onSelect} />
                </>
              )}
            </span>
          </div>
        </div>
        <div class={`delivery-row tone-${prRow.tone}`} data-testid="pr-result">
          <StatusIconSvg icon={prRow.icon} size={18} />
          <div>
            <strong>
              Pull request{pr ? <> <PullRequestLink feature={feature} /></> : null}: {prRow.title}
            </strong>
            <span>
              {prRow.text}
              {feature.status === 'merged' && pr?.mergeCommit && (
                <>
                  {' '}
                  <code title={pr.mergeCommit} data-testid="merge-commit">
                    {shortSha(pr.mergeCommit)}
                  </code>{' '}
                  on <code>{feature.baseBranch}</code>.
                </>
              )}
            </span>
          </div>
        </div>
        <div class={`delivery-row tone-${usage.calls > 0 ? 'queued' : 'neutral'}`} data-testid="usage-result">
          <StatusIconSvg icon="plan" size={18} />
          <div>
            <strong>Agent work: {usage.calls > 0 ? formatUsd(usage.costUsd) : 'no model calls'}</strong>
            <span>
              {usage.calls > 0
                ? `${usageLine(usage)}, over ${plural(costed, 'task')}.`
                : tasks.length > 0 && tasks.every((task) => task.sleep)
                  ? 'Sleep tasks only wait; they run no model, so there is no cost.'
                  : 'No task has reported token usage yet.'}
            </span>
          </div>
        </div>
        {conflicts.length > 0 && (
          <div class="delivery-row tone-attention" data-testid="conflicts-result">
            <StatusIconSvg icon="merge" size={18} />
            <div>
              <strong>Conflicts resolved: {conflicts.length}</strong>
              <span>
                {conflicts.map((conflict, index) => (
                  <span key={`${conflict.taskId}:${conflict.path}`}>
                    {index > 0 ? ', ' : ''}
                    <code>{conflict.path}</code> while integrating <TaskChips ids={[conflict.taskId]} onSelect={onSelect} />
                  </span>
                ))}
              </span>
            </div>
          </div>
        )}
      </div>
    </section>
  );
}

function TaskTable({ tasks, timings, now, selected, onSelect }: TaskViewProps) {
  return (
    <section class="card" aria-labelledby="tasks-title">
      <CardHead id="tasks-title" title="Tasks" subtitle="In dependency order" />
      <table class="data-table stack-table" data-testid="task-table">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col">Depends on</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => {
            const duration = taskDuration(timings.get(task.id), now);
            return (
              <tr key={task.id} class={task.id === selected ? 'is-selected' : ''} data-task-row={task.id}>
                <td class="task-title-cell">
                  <button type="button" onClick={() => onSelect(task.id)} aria-pressed={task.id === selected}>
                    {task.title}
                  </button>
                  <span class="sub muted mono" style={{ display: 'block', fontSize: '0.8rem' }}>
                    {task.id}
                  </span>
                </td>
                <td data-label="Status">
                  <TaskStatusBadge status={task.status} compact />
                </td>
                <td data-label="Agent">{task.agentType}</td>
                <td data-label="Attempts" class="num">
                  {task.attempts}
                </td>
                <td data-label="Duration" class="num">
                  {duration === undefined ? <span class="muted">—</span> : formatDuration(duration)}
                </td>
                <td data-label="Cost" class="num" title={task.result?.usage ? usageLine(task.result.usage) : undefined}>
                  {task.result?.usage ? formatUsd(task.result.usage.costUsd) : <span class="muted">—</span>}
                </td>
                <td data-label="Depends on">{task.dependsOn.length === 0 ? <span class="muted">—</span> : task.dependsOn.join(', ')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function countByStatus(tasks: readonly { status: TaskStatus }[]): Partial<Record<TaskStatus, number>> {
  const counts: Partial<Record<TaskStatus, number>> = {};
  for (const task of tasks) counts[task.status] = (counts[task.status] ?? 0) + 1;
  return counts;
}

/** The API lists tasks in dependency order already; sorting again keeps the layout honest if it ever does not. */
function orderTasks(tasks: readonly PublicTask[]): PublicTask[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  return topologicalOrder(tasks).map((id) => byId.get(id)!);
}
