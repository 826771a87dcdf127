import type { FeatureEvent } from '../../lambdas/core/feature-event.js';
import type { FeatureStatus } from '../../lambdas/core/feature.js';

/** When a task first started and when it ended, read from the feature's event log. */
export interface TaskTiming {
  readonly startedAt?: number;
  readonly endedAt?: number;
  /** How many times it went to running (retries included). */
  readonly runs: number;
}

const TASK_ENDS = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

export function taskTimings(events: readonly FeatureEvent[]): Map<string, TaskTiming> {
  const timings = new Map<string, { startedAt?: number; endedAt?: number; runs: number }>();
  for (const event of events) {
    if (event.type !== 'task.status') continue;
    const timing = timings.get(event.taskId) ?? { runs: 0 };
    const at = Date.parse(event.at);
    if (event.to === 'running') {
      timing.runs += 1;
      timing.startedAt ??= at;
    }
    if (TASK_ENDS.has(event.to)) timing.endedAt = at;
    timings.set(event.taskId, timing);
  }
  return timings;
}

/** How long a task has worked: from its first start to its end, or to now while it runs. */
export function taskDuration(timing: TaskTiming | undefined, now: number): number | undefined {
  if (timing?.startedAt === undefined) return undefined;
  // The browser's clock and the server's disagree a little; a task never ran for less than nothing.
  return Math.max(0, (timing.endedAt ?? now) - timing.startedAt);
}

/** The first time the feature entered each status. */
export function featureMilestones(events: readonly FeatureEvent[]): Partial<Record<FeatureStatus, number>> {
  const milestones: Partial<Record<FeatureStatus, number>> = {};
  for (const event of events) {
    if (event.type === 'feature.status') milestones[event.to] ??= Date.parse(event.at);
  }
  return milestones;
}

export type GateOutcome =
  | { readonly state: 'not-reached' }
  | { readonly state: 'running' }
  | { readonly state: 'passed'; readonly at: number }
  | { readonly state: 'failed'; readonly at: number; readonly reason?: string }
  | { readonly state: 'blocked'; readonly reason?: string };

/**
 * What the quality gates decided, from the feature's transitions: gating → pr_open is a pass,
 * gating → running is a failed gate sending fix work back, and running → failed before any
 * gate means the tasks themselves did not succeed.
 */
export function gateOutcome(events: readonly FeatureEvent[], status: FeatureStatus): GateOutcome {
  let outcome: GateOutcome = { state: 'not-reached' };
  for (const event of events) {
    if (event.type !== 'feature.status') continue;
    const at = Date.parse(event.at);
    if (event.from === 'gating' && (event.to === 'pr_open' || event.to === 'merged')) outcome = { state: 'passed', at };
    else if (event.from === 'gating' && (event.to === 'running' || event.to === 'failed')) outcome = { state: 'failed', at, ...(event.reason ? { reason: event.reason } : {}) };
    else if (event.from === 'running' && event.to === 'failed') outcome = { state: 'blocked', ...(event.reason ? { reason: event.reason } : {}) };
  }
  if (status === 'gating') return { state: 'running' };
  return outcome;
}
