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
}

export interface TaskTransition {
  readonly to: TaskStatus;
  readonly expectedFrom?: TaskStatus;
  readonly reason?: string;
  readonly result?: TaskResult;
  /** Count an attempt (set when a task starts running). */
  readonly countAttempt?: boolean;
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
  if (!canTransitionTask(current.status, transition.to)) {
    throw new IllegalTransitionError('task', qualifiedId, current.status, transition.to);
  }
  const { statusReason: _previousReason, ...rest } = current;
  const next: Task = {
    ...rest,
    status: transition.to,
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
