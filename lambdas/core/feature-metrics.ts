import type { Feature } from './feature.js';
import type { FeatureEvent } from './feature-event.js';
import { totalUsage } from './feature-review.js';
import type { Task, TaskUsage } from './task.js';

export interface TaskTiming {
  readonly taskId: string;
  readonly status: Task['status'];
  readonly attempts: number;
  /** Time spent running (all attempts). */
  readonly agentSeconds: number;
  /** Time from released (queued) to running, summed over attempts: waiting for an agent. */
  readonly queuedSeconds: number;
}

export interface FeatureMetrics {
  readonly featureId: string;
  readonly status: Feature['status'];
  /** From creation to the feature's last status change if it ended (or opened its PR), else to `now`. */
  readonly leadTimeSeconds: number;
  readonly tasks: { readonly total: number; readonly succeeded: number; readonly failed: number };
  readonly tasksPerHour: number;
  /** Sum of every task's running time: the agents' work. */
  readonly agentSeconds: number;
  /** Sum of every task's time queued for a free agent. */
  readonly queuedSeconds: number;
  /** Most tasks running at one moment. */
  readonly maxParallelism: number;
  readonly usage: TaskUsage;
  readonly conflictsResolved: readonly string[];
  /** Line coverage of the feature branch, when the review's gates measured it. */
  readonly coverage: { readonly after?: number };
  readonly perTask: readonly TaskTiming[];
}

const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
const round = (value: number) => Math.round(value * 1000) / 1000;

/** A feature's delivery figures, from its stored tasks and event log alone (pure: `now` is an input). */
export function featureMetrics(feature: Feature, tasks: readonly Task[], events: readonly FeatureEvent[], now: string): FeatureMetrics {
  const running = new Map<string, string>();
  const queued = new Map<string, string>();
  const intervals: Array<[number, number]> = [];
  const agent = new Map<string, number>();
  const waiting = new Map<string, number>();
  let finishedAt: string | undefined;
  for (const event of events) {
    if (event.type === 'feature.status' && ['pr_open', 'merged', 'failed', 'cancelled', 'needs_human'].includes(event.to)) {
      finishedAt ??= event.at;
      if (event.to !== 'pr_open') finishedAt = event.at;
    }
    if (event.type !== 'task.status') continue;
    const { taskId } = event;
    if (event.to === 'queued') queued.set(taskId, event.at);
    if (event.to === 'running') {
      const since = queued.get(taskId);
      if (since) waiting.set(taskId, (waiting.get(taskId) ?? 0) + seconds(since, event.at));
      queued.delete(taskId);
      running.set(taskId, event.at);
    }
    if (event.from === 'running') {
      const since = running.get(taskId);
      if (since) {
        agent.set(taskId, (agent.get(taskId) ?? 0) + seconds(since, event.at));
        intervals.push([Date.parse(since), Date.parse(event.at)]);
      }
      running.delete(taskId);
    }
  }
  const end = finishedAt ?? now;
  for (const [taskId, since] of running) {
    agent.set(taskId, (agent.get(taskId) ?? 0) + seconds(since, end));
    intervals.push([Date.parse(since), Date.parse(end)]);
  }
  const leadTimeSeconds = seconds(feature.createdAt, end);
  const succeeded = tasks.filter((task) => task.status === 'succeeded').length;
  const coverageGate = tasks.flatMap((task) => task.result?.gate?.gates ?? []).find((gate) => gate.gate === 'coverage');
  return {
    featureId: feature.id,
    status: feature.status,
    leadTimeSeconds: round(leadTimeSeconds),
    tasks: { total: tasks.length, succeeded, failed: tasks.filter((task) => task.status === 'failed').length },
    tasksPerHour: leadTimeSeconds > 0 ? round((succeeded * 3600) / leadTimeSeconds) : 0,
    agentSeconds: round([...agent.values()].reduce((a, b) => a + b, 0)),
    queuedSeconds: round([...waiting.values()].reduce((a, b) => a + b, 0)),
    maxParallelism: maxOverlap(intervals),
    usage: totalUsage(tasks),
    conflictsResolved: [...new Set(tasks.flatMap((task) => task.result?.conflictsResolved ?? []))].sort(),
    coverage: typeof coverageGate?.value === 'number' ? { after: coverageGate.value } : {},
    perTask: tasks.map((task) => ({
      taskId: task.id,
      status: task.status,
      attempts: task.attempts,
      agentSeconds: round(agent.get(task.id) ?? 0),
      queuedSeconds: round(waiting.get(task.id) ?? 0),
    })),
  };
}

/** The most intervals open at one instant (an interval ending when another starts does not overlap it). */
export function maxOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ] as const);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, delta] of edges) {
    open += delta;
    most = Math.max(most, open);
  }
  return most;
}
