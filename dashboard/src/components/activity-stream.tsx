import type { FeatureEvent } from '../../../lambdas/core/feature-event.js';
import { featureLooks, taskLooks, type StatusLook } from '../status.js';
import { formatClock, formatDateTime } from '../format.js';
import type { LiveMode } from '../live-events.js';
import { StatusIconSvg } from './status-badge.js';

const SHOWN = 200;

const modeText: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Polling',
  offline: 'Offline, retrying',
};

export function LiveIndicator({ mode }: { mode: LiveMode }) {
  const hint =
    mode === 'live'
      ? 'Events stream in as they happen'
      : mode === 'polling'
        ? 'Checking for new events every few seconds'
        : mode === 'offline'
          ? 'The API cannot be reached'
          : 'Opening the event stream';
  return (
    <span class={`live live-${mode}`} title={hint} data-testid="live-mode" data-mode={mode}>
      <span class="live-dot" aria-hidden="true" />
      {modeText[mode]}
    </span>
  );
}

/**
 * The feature's event log, newest first. A `log` region, so assistive technology
 * announces new entries politely as they stream in.
 */
export function ActivityStream({
  events,
  freshSince,
  onSelectTask,
}: {
  events: readonly FeatureEvent[];
  /** Events after this id arrived live and get a short highlight. */
  freshSince?: string;
  onSelectTask: (taskId: string) => void;
}) {
  const shown = events.slice(-SHOWN).reverse();
  if (events.length === 0) return <p class="loading">No activity yet.</p>;
  return (
    <>
      <ol class="activity" role="log" aria-live="polite" aria-relevant="additions" aria-label="Activity, newest first" data-testid="activity">
        {shown.map((event) => (
          <ActivityItem key={event.id} event={event} fresh={freshSince !== undefined && event.id > freshSince} onSelectTask={onSelectTask} />
        ))}
      </ol>
      {events.length > SHOWN && <p class="dag-tip">Showing the latest {SHOWN} of {events.length} events.</p>}
    </>
  );
}

function ActivityItem({ event, fresh, onSelectTask }: { event: FeatureEvent; fresh: boolean; onSelectTask: (taskId: string) => void }) {
  const look = lookOf(event);
  const taskChip = (taskId: string) => (
    <button type="button" class="chip" onClick={() => onSelectTask(taskId)} aria-label={`Show task ${taskId}`}>
      {taskId}
    </button>
  );
  let what;
  switch (event.type) {
    case 'feature.created':
      what = <span>Feature submitted with {event.taskCount === 0 ? 'no plan yet' : `${event.taskCount} tasks`}</span>;
      break;
    case 'feature.status':
      what = (
        <span>
          Feature <Transition from={featureLooks[event.from].label} to={featureLooks[event.to].label} />
        </span>
      );
      break;
    case 'task.status':
      what = (
        <span>
          {taskChip(event.taskId)} <Transition from={taskLooks[event.from].label} to={taskLooks[event.to].label} />
        </span>
      );
      break;
    case 'note':
      what = (
        <span>
          {event.taskId ? <>{taskChip(event.taskId)} </> : null}
          {event.message}
        </span>
      );
      break;
  }
  const reason = 'reason' in event ? event.reason : undefined;
  return (
    <li class={`tone-${look.tone}${fresh ? ' fresh' : ''}`} data-event-type={event.type}>
      <time dateTime={event.at} title={formatDateTime(event.at)}>
        {formatClock(event.at)}
      </time>
      <StatusIconSvg icon={look.icon} size={15} />
      <div class="what">
        {what}
        {reason && <span class="reason">{reason}</span>}
      </div>
    </li>
  );
}

function Transition({ from, to }: { from: string; to: string }) {
  return (
    <>
      <span class="muted">{from}</span>
      <span class="arrow" aria-label="to">
        →
      </span>
      <strong>{to}</strong>
    </>
  );
}

const noteLook: StatusLook = { label: 'Note', tone: 'neutral', icon: 'plan', hint: 'a note' };
const createdLook: StatusLook = { label: 'Submitted', tone: 'queued', icon: 'plan', hint: 'submitted' };

function lookOf(event: FeatureEvent): StatusLook {
  switch (event.type) {
    case 'feature.created':
      return createdLook;
    case 'feature.status':
      return featureLooks[event.to];
    case 'task.status':
      return taskLooks[event.to];
    case 'note':
      return noteLook;
  }
}
