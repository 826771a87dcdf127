import type { FeatureEvent } from '../../lambdas/core/feature-event.js';
import type { Feature, FeatureStatus } from '../../lambdas/core/feature.js';
import type { Task } from '../../lambdas/core/task.js';
// Nearest rank, as GET /metrics computes its lead-time percentiles; the groups passed in are never empty.
import { percentile } from '../../lambdas/core/factory-metrics.js';
import { featureMilestones, taskTimings } from './timeline.js';

/**
 * Delivery metrics computed in the browser from features, their tasks and their event logs:
 * the per-day and per-agent views GET /metrics does not give. Its totals (lead time,
 * throughput, agent time, cost, gate pass rate) and coverage come from GET /metrics itself.
 */
export interface FeatureHistory {
  readonly feature: Pick<Feature, 'id' | 'title' | 'status' | 'createdAt'>;
  readonly tasks: readonly Pick<Task, 'id' | 'agentType' | 'status'>[];
  readonly events: readonly FeatureEvent[];
}

export interface DayCount {
  /** yyyy-mm-dd in local time. */
  readonly day: string;
  readonly submitted: number;
  readonly shipped: number;
}

export interface LeadTime {
  readonly featureId: string;
  readonly title: string;
  readonly shippedAt: number;
  readonly ms: number;
}

export interface DurationStats {
  readonly group: string;
  readonly count: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
}

export interface DeliveryMetrics {
  readonly velocity: readonly DayCount[];
  readonly leadTimes: readonly LeadTime[];
  readonly leadTime?: { readonly median: number; readonly p90: number };
  readonly taskDurations: readonly DurationStats[];
  readonly outcomes: ReadonlyMap<FeatureStatus, number>;
  readonly tasksEnded: number;
  readonly tasksSucceeded: number;
  readonly featureCount: number;
}

export function dayKey(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** A feature ships when its pull request opens (or it merges without one being seen). */
function shippedAt(history: FeatureHistory): number | undefined {
  const milestones = featureMilestones(history.events);
  return milestones.pr_open ?? milestones.merged;
}

export function computeMetrics(histories: readonly FeatureHistory[], options: { now: number; days: number }): DeliveryMetrics {
  const days: DayCount[] = [];
  const index = new Map<string, { submitted: number; shipped: number }>();
  const today = new Date(options.now);
  today.setHours(12, 0, 0, 0);
  for (let back = options.days - 1; back >= 0; back--) {
    const key = dayKey(today.getTime() - back * 86_400_000);
    index.set(key, { submitted: 0, shipped: 0 });
  }
  const leadTimes: LeadTime[] = [];
  const outcomes = new Map<FeatureStatus, number>();
  const durations = new Map<string, number[]>();
  let tasksEnded = 0;
  let tasksSucceeded = 0;

  for (const history of histories) {
    const created = Date.parse(history.feature.createdAt);
    const submittedDay = index.get(dayKey(created));
    if (submittedDay) submittedDay.submitted += 1;
    const shipped = shippedAt(history);
    if (shipped !== undefined) {
      const shippedDay = index.get(dayKey(shipped));
      if (shippedDay) shippedDay.shipped += 1;
      leadTimes.push({ featureId: history.feature.id, title: history.feature.title, shippedAt: shipped, ms: shipped - created });
    }
    outcomes.set(history.feature.status, (outcomes.get(history.feature.status) ?? 0) + 1);

    const agentOf = new Map(history.tasks.map((task) => [task.id, task.agentType]));
    for (const [taskId, timing] of taskTimings(history.events)) {
      if (timing.startedAt === undefined || timing.endedAt === undefined) continue;
      const group = agentOf.get(taskId) ?? 'unknown';
      durations.set(group, [...(durations.get(group) ?? []), timing.endedAt - timing.startedAt]);
    }
    for (const task of history.tasks) {
      if (task.status === 'succeeded') tasksSucceeded += 1;
      if (task.status === 'succeeded' || task.status === 'failed') tasksEnded += 1;
    }
  }
  for (const [day, counts] of index) days.push({ day, ...counts });
  leadTimes.sort((a, b) => a.shippedAt - b.shippedAt);
  const sortedLead = leadTimes.map((lead) => lead.ms).sort((a, b) => a - b);
  const groupOrder = ['code', 'test', 'review', 'conflict'];
  const taskDurations = [...durations.entries()]
    .sort(([a], [b]) => groupOrder.indexOf(a) - groupOrder.indexOf(b))
    .map(([group, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { group, count: sorted.length, median: percentile(sorted, 50)!, p90: percentile(sorted, 90)!, max: sorted.at(-1)! };
    });
  return {
    velocity: days,
    leadTimes,
    ...(sortedLead.length > 0 ? { leadTime: { median: percentile(sortedLead, 50)!, p90: percentile(sortedLead, 90)! } } : {}),
    taskDurations,
    outcomes,
    tasksEnded,
    tasksSucceeded,
    featureCount: histories.length,
  };
}
