import type { Feature } from '../core/feature.js';
import type { FeatureEvent } from '../core/feature-event.js';
import type { Task, TaskState } from '../core/task.js';
import type { FeatureTransition, InPlaceTaskTransition, TaskTransition } from '../core/transitions.js';

export type { FeatureTransition, InPlaceTaskTransition, TaskTransition } from '../core/transitions.js';

export interface IdempotencyClaim {
  readonly key: string;
  /** A hash of the request body: the same key with another body is refused. */
  readonly fingerprint: string;
  /** After this instant the key may be reused. */
  readonly expiresAt: Date;
}

export interface CreateFeatureInput {
  readonly feature: Feature;
  readonly tasks: readonly Task[];
  readonly idempotency?: IdempotencyClaim;
}

export interface CreateFeatureResult {
  readonly feature: Feature;
  /** false when an earlier request with the same idempotency key already created it. */
  readonly created: boolean;
}


export interface Page<T> {
  readonly items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly nextCursor?: string;
}

export interface NoteInput {
  readonly message: string;
  readonly taskId?: string;
}

/**
 * Durable state of features, their tasks and their event log.
 *
 * Guarantees every implementation must keep (checked by test/contract/feature-store.contract.ts):
 * - createFeature writes the feature, its tasks, its first event and the idempotency claim atomically;
 * - a transition is checked against the legal transition table and written conditionally on the
 *   version it was checked against, so of two racing transitions exactly one wins;
 * - every transition appends its event in the same atomic write;
 * - a refused transition leaves the item and the log unchanged.
 */
export interface FeatureStore {
  createFeature(input: CreateFeatureInput): Promise<CreateFeatureResult>;
  getFeature(id: string): Promise<Feature | undefined>;
  /** Newest first. Throws InvalidCursorError for a cursor it did not issue. */
  listFeatures(query: { limit: number; cursor?: string }): Promise<Page<Feature>>;
  getTask(featureId: string, taskId: string): Promise<Task | undefined>;
  /** A task and its feature in one consistent read (a worker's first look at what it was sent). */
  getFeatureAndTask(featureId: string, taskId: string): Promise<{ feature?: Feature; task?: Task }>;
  /** Tasks in the feature's topological order. */
  listTasks(featureId: string): Promise<Task[]>;
  transitionFeature(id: string, transition: FeatureTransition): Promise<Feature>;
  /**
   * `current`, when given, is the task exactly as the caller just read it from this store: the
   * write is tried against it first, saving a read (a stale one only costs the retry it would anyway).
   */
  transitionTask(featureId: string, taskId: string, transition: TaskTransition, options?: { current?: Task }): Promise<Task>;
  /** The feature and its tasks (in topological order) in one read; undefined for an unknown feature. */
  getFeatureWithTasks(featureId: string): Promise<{ feature: Feature; tasks: Task[] } | undefined>;
  /**
   * What a scheduler pass decides on, in one read: the feature's status and every task's state
   * (no content), in topological order; undefined for an unknown feature.
   */
  getSchedulingView(featureId: string): Promise<{ feature: Pick<Feature, 'id' | 'status'>; tasks: TaskState[] } | undefined>;
  /**
   * Moves a task on without reading it first: one atomic write of its state fields and the event,
   * conditioned on the status the caller knows it in (`expectedFrom`) and, when given, its version
   * and attempts. Refused with StaleStatusError when the task is no longer so, NotFoundError when
   * it does not exist, IllegalTransitionError when the move is not legal from `expectedFrom`.
   */
  transitionTaskInPlace(featureId: string, taskId: string, transition: InPlaceTaskTransition): Promise<void>;
  /** Replaces the callback token of a task that is still waiting (a retried wait mints a new token). */
  replaceWaitToken(featureId: string, taskId: string, token: string): Promise<Task>;
  /**
   * Stores the plan of a feature that is planning and has no tasks yet: the tasks
   * and the feature's task ids in one atomic write. Refused otherwise.
   */
  savePlan(featureId: string, tasks: readonly Task[]): Promise<Feature>;
  appendNote(featureId: string, note: NoteInput): Promise<FeatureEvent>;
  /**
   * Records a webhook delivery id until `expiresAt`. Returns false when it was
   * already recorded (a redelivery), so each delivery is acted on once.
   */
  claimDelivery(deliveryId: string, expiresAt: Date): Promise<boolean>;
  /** Forgets a claimed delivery whose handling failed, so its redelivery is handled. */
  releaseDelivery(deliveryId: string): Promise<void>;
  /** Oldest first, strictly after the event id `after` when given. */
  listEvents(featureId: string, query?: { after?: string; limit?: number }): Promise<FeatureEvent[]>;
}

