import { featureStatuses, type FeatureStatus } from '../../lambdas/core/feature.js';
import { taskStatuses, type TaskStatus } from '../../lambdas/core/task.js';

/**
 * How each status looks. Colour is never the only signal: every status also has a
 * text label and an icon with its own shape (WCAG 1.4.1).
 */
export type StatusIcon = 'circle' | 'dotted' | 'clock' | 'spinner' | 'check' | 'cross' | 'slash' | 'skip' | 'gate' | 'pr' | 'merge' | 'person' | 'plan' | 'warning';

export interface StatusLook {
  readonly label: string;
  /** CSS class suffix: `tone-<tone>` sets --fg, --bg and --line. */
  readonly tone: 'neutral' | 'waiting' | 'queued' | 'running' | 'success' | 'danger' | 'muted' | 'skipped' | 'gating' | 'merged' | 'attention';
  readonly icon: StatusIcon;
  /** One line for a tooltip or a screen reader. */
  readonly hint: string;
}

export const taskLooks: Record<TaskStatus, StatusLook> = {
  pending: { label: 'Pending', tone: 'neutral', icon: 'circle', hint: 'planned, not scheduled yet' },
  waiting: { label: 'Waiting', tone: 'waiting', icon: 'dotted', hint: 'waiting for its dependencies or a free agent' },
  queued: { label: 'Queued', tone: 'queued', icon: 'clock', hint: 'released to its agent queue' },
  running: { label: 'Running', tone: 'running', icon: 'spinner', hint: 'an agent is working on it' },
  succeeded: { label: 'Succeeded', tone: 'success', icon: 'check', hint: 'done, acceptance criteria met' },
  failed: { label: 'Failed', tone: 'danger', icon: 'cross', hint: 'the agent gave up on it' },
  cancelled: { label: 'Cancelled', tone: 'muted', icon: 'slash', hint: 'stopped on request' },
  skipped: { label: 'Skipped', tone: 'skipped', icon: 'skip', hint: 'never ran: a dependency did not succeed' },
};

export const featureLooks: Record<FeatureStatus, StatusLook> = {
  queued: { label: 'Queued', tone: 'queued', icon: 'clock', hint: 'accepted, waiting to be planned' },
  planning: { label: 'Planning', tone: 'queued', icon: 'plan', hint: 'being broken into tasks' },
  running: { label: 'Running', tone: 'running', icon: 'spinner', hint: 'agents are working on its tasks' },
  gating: { label: 'Gating', tone: 'gating', icon: 'gate', hint: 'quality gates are running' },
  pr_open: { label: 'PR open', tone: 'success', icon: 'pr', hint: 'passed its gates; the pull request awaits review' },
  merged: { label: 'Merged', tone: 'merged', icon: 'merge', hint: 'merged' },
  failed: { label: 'Failed', tone: 'danger', icon: 'cross', hint: 'ended without a pull request' },
  cancelled: { label: 'Cancelled', tone: 'muted', icon: 'slash', hint: 'stopped on request' },
  needs_human: { label: 'Needs a human', tone: 'attention', icon: 'person', hint: 'waiting for a person to decide' },
};

export const featureStatusList: readonly FeatureStatus[] = featureStatuses;
export const taskStatusList: readonly TaskStatus[] = taskStatuses;

export function isFeatureStatus(value: string): value is FeatureStatus {
  return (featureStatuses as readonly string[]).includes(value);
}

export function isFeatureActive(status: FeatureStatus): boolean {
  return status === 'queued' || status === 'planning' || status === 'running' || status === 'gating';
}

export function isTaskDone(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'skipped';
}
