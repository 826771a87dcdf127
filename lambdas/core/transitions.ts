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

/** A transition decided without reading the task: the caller knows the status it leaves. */
export type InPlaceTaskTransition = TaskTransition & { readonly expectedFrom: TaskStatus };

/**
 * What an in-place transition writes: the task's state fields only, never its content. The store
 * applies it in one write conditioned on `from` (and on the version and attempts when given).
 */
export interface TaskStateChange {
  readonly from: TaskStatus;
  readonly to: TaskStatus;
  readonly expectedVersion?: number;
  readonly expectedAttempts?: number;
  /** Set when given; every transition clears the previous reason and tokens, as applyTaskTransition does. */
  readonly statusReason?: string;
  readonly waitToken?: string;
  readonly attemptToken?: string;
  readonly result?: TaskResult;
  readonly countAttempt: boolean;
  readonly updatedAt: string;
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
  const { change, event } = decideTaskStateChange({ featureId: current.featureId, taskId: current.id }, { ...transition, expectedFrom: current.status }, context);
  return { next: applyTaskStateChange(current, change), event };
}

/** The task after an in-place change; the change must have been decided from the task's own status. */
function applyTaskStateChange(current: Task, change: TaskStateChange): Task {
  // The wait token is only meaningful while waiting; it never outlives that status.
  // So is the attempt's token digest: only a running task has an attempt.
  const { statusReason: _previousReason, waitToken: _previousToken, attemptToken: _previousAttempt, ...rest } = current;
  return {
    ...rest,
    status: change.to,
    ...(change.waitToken === undefined ? {} : { waitToken: change.waitToken }),
    ...(change.attemptToken === undefined ? {} : { attemptToken: change.attemptToken }),
    ...(change.statusReason === undefined ? {} : { statusReason: change.statusReason }),
    ...(change.result === undefined ? {} : { result: change.result }),
    attempts: current.attempts + (change.countAttempt ? 1 : 0),
    updatedAt: change.updatedAt,
    version: current.version + 1,
  };
}

/**
 * Decides an in-place task transition: legal from `expectedFrom`, or a typed refusal. The
 * change, applied to a task in that status, gives what applyTaskTransition would give.
 */
export function decideTaskStateChange(
  task: { featureId: string; taskId: string },
  transition: InPlaceTaskTransition,
  context: TransitionContext,
): { change: TaskStateChange; event: FeatureEvent } {
  const from = transition.expectedFrom;
  if (!canTransitionTask(from, transition.to)) {
    throw new IllegalTransitionError('task', `${task.featureId}/${task.taskId}`, from, transition.to);
  }
  const change: TaskStateChange = {
    from,
    to: transition.to,
    ...(transition.expectedVersion === undefined ? {} : { expectedVersion: transition.expectedVersion }),
    ...(transition.expectedAttempts === undefined ? {} : { expectedAttempts: transition.expectedAttempts }),
    ...(transition.reason === undefined ? {} : { statusReason: transition.reason }),
    ...(transition.waitToken === undefined ? {} : { waitToken: transition.waitToken }),
    ...(transition.attemptToken === undefined || transition.to !== 'running' ? {} : { attemptToken: transition.attemptToken }),
    ...(transition.result === undefined ? {} : { result: transition.result }),
    countAttempt: transition.countAttempt === true,
    updatedAt: context.now,
  };
  const event: FeatureEvent = {
    type: 'task.status',
    featureId: task.featureId,
    id: context.eventId,
    at: context.now,
    taskId: task.taskId,
    from,
    to: transition.to,
    ...(transition.reason === undefined ? {} : { reason: transition.reason }),
  };
  return { change, event };
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
