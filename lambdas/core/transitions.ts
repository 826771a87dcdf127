import type { Feature, FeatureStatus } from './feature.js';
import { canTransitionFeature } from './feature.js';
import type { FeatureEvent } from './feature-event.js';
import type { Task, TaskResult, TaskStatus } from './task.js';
import { canTransitionTask } from './task.js';
import { IllegalTransitionError, StaleStatusError } from './errors.js';

export interface FeatureTransition {
  readonly to: FeatureStatus;
  /** When set, the write only happens if the stored status is still this one (StaleStatusError otherwise). */
  readonly expectedFrom?: FeatureStatus;
  readonly reason?: string;
  /** Recorded with the transition (pr_open, merged), in the same conditional write. */
  readonly pullRequest?: Feature['pullRequest'];
}

export interface TaskTransition {
  readonly to: TaskStatus;
  readonly expectedFrom?: TaskStatus;
  readonly reason?: string;
  readonly result?: TaskResult;
  /** Count an attempt (set when a task starts running). */
  readonly countAttempt?: boolean;
  /** Only if the task is still at this version (nothing changed since it was read). */
  readonly expectedVersion?: number;
  /** Only if the task is still in this attempt: a worker of an abandoned attempt must not overwrite a newer one. */
  readonly expectedAttempts?: number;
  /** Stores the workflow's callback token; set when the task starts waiting for its dependencies. */
  readonly waitToken?: string;
  /** The digest of the dispatch token of the attempt that starts running (see Task.attemptToken). */
  readonly attemptToken?: string;
}

export interface TransitionContext {
  readonly now: string;
  readonly eventId: string;
}

/**
 * Decides a feature transition against the stored item: the next item (version
 * bumped) and the event to append, or a typed refusal. Stores call this, then
 * write both atomically on the condition that the version is still `current.version`.
 */
export function applyFeatureTransition(
  current: Feature,
  transition: FeatureTransition,
  context: TransitionContext,
): { next: Feature; event: FeatureEvent } {
  if (transition.expectedFrom !== undefined && transition.expectedFrom !== current.status) {
    throw new StaleStatusError('feature', current.id, transition.expectedFrom, current.status);
  }
  if (!canTransitionFeature(current.status, transition.to)) {
    throw new IllegalTransitionError('feature', current.id, current.status, transition.to);
  }
  const { statusReason: _previousReason, ...rest } = current;
  const next: Feature = {
    ...rest,
    status: transition.to,
    ...(transition.reason === undefined ? {} : { statusReason: transition.reason }),
    ...(transition.pullRequest === undefined ? {} : { pullRequest: transition.pullRequest }),
    updatedAt: context.now,
    version: current.version + 1,
  };
  const event: FeatureEvent = {
    type: 'feature.status',
    featureId: current.id,
    id: context.eventId,
    at: context.now,
    from: current.status,
    to: transition.to,
    ...(transition.reason === undefined ? {} : { reason: transition.reason }),
  };
  return { next, event };
}

export function applyTaskTransition(
  current: Task,
  transition: TaskTransition,
  context: TransitionContext,
): { next: Task; event: FeatureEvent } {
  const qualifiedId = `${current.featureId}/${current.id}`;
  if (transition.expectedFrom !== undefined && transition.expectedFrom !== current.status) {
    throw new StaleStatusError('task', qualifiedId, transition.expectedFrom, current.status);
  }
  if (transition.expectedVersion !== undefined && transition.expectedVersion !== current.version) {
    throw new StaleStatusError('task', qualifiedId, `version ${transition.expectedVersion}`, `version ${current.version}`);
  }
  if (transition.expectedAttempts !== undefined && transition.expectedAttempts !== current.attempts) {
    throw new StaleStatusError('task', qualifiedId, `attempt ${transition.expectedAttempts}`, `attempt ${current.attempts}`);
  }
  if (!canTransitionTask(current.status, transition.to)) {
    throw new IllegalTransitionError('task', qualifiedId, current.status, transition.to);
  }
  // The wait token is only meaningful while waiting; it never outlives that status.
  // So is the attempt's token digest: only a running task has an attempt.
  const { statusReason: _previousReason, waitToken: _previousToken, attemptToken: _previousAttempt, ...rest } = current;
  const next: Task = {
    ...rest,
    status: transition.to,
    ...(transition.waitToken === undefined ? {} : { waitToken: transition.waitToken }),
    ...(transition.attemptToken === undefined || transition.to !== 'running' ? {} : { attemptToken: transition.attemptToken }),
    ...(transition.reason === undefined ? {} : { statusReason: transition.reason }),
    ...(transition.result === undefined ? {} : { result: transition.result }),
    attempts: current.attempts + (transition.countAttempt ? 1 : 0),
    updatedAt: context.now,
    version: current.version + 1,
  };
  const event: FeatureEvent = {
    type: 'task.status',
    featureId: current.featureId,
    id: context.eventId,
    at: context.now,
    taskId: current.id,
    from: current.status,
    to: transition.to,
    ...(transition.reason === undefined ? {} : { reason: transition.reason }),
  };
  return { next, event };
}

export function createdEvent(feature: Feature, context: TransitionContext): FeatureEvent {
  return { type: 'feature.created', featureId: feature.id, id: context.eventId, at: context.now, taskCount: feature.taskIds.length };
}

export function applyWaitTokenReplacement(current: Task, token: string, context: TransitionContext): Task {
  if (current.status !== 'waiting') throw new StaleStatusError('task', `${current.featureId}/${current.id}`, 'waiting', current.status);
  return { ...current, waitToken: token, updatedAt: context.now, version: current.version + 1 };
}

/** Attaches a plan to a feature that is planning and has none yet; the note records it in the log. */
export function applyPlan(
  current: Feature,
  tasks: readonly Task[],
  context: TransitionContext,
): { next: Feature; event: FeatureEvent } {
  if (current.status !== 'planning' || current.taskIds.length > 0) {
    throw new StaleStatusError('feature', current.id, 'planning without a plan', current.taskIds.length > 0 ? 'already planned' : current.status);
  }
  const next: Feature = { ...current, taskIds: tasks.map((t) => t.id), updatedAt: context.now, version: current.version + 1 };
  const event: FeatureEvent = {
    type: 'note',
    featureId: current.id,
    id: context.eventId,
    at: context.now,
    message: `planned ${tasks.length} tasks: ${tasks.map((t) => t.id).join(', ')}`,
  };
  return { next, event };
}
