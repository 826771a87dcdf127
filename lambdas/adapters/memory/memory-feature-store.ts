import { featureIdSchema, type Feature } from '../../core/feature.js';
import type { FeatureEvent } from '../../core/feature-event.js';
import { taskStateSchema, type Task, type TaskState } from '../../core/task.js';
import {
  AlreadyExistsError,
  IdempotencyKeyReusedError,
  InvalidCursorError,
  NotFoundError,
} from '../../core/errors.js';
import { applyFeatureTransition, applyPlan, applyTaskTransition, applyWaitTokenReplacement, createdEvent } from '../../core/transitions.js';
import type { Clock, IdSource } from '../../ports/clock.js';
import type {
  CreateFeatureInput,
  CreateFeatureResult,
  FeatureStore,
  FeatureTransition,
  InPlaceTaskTransition,
  NoteInput,
  Page,
  TaskTransition,
} from '../../ports/feature-store.js';

interface StoredFeature {
  feature: Feature;
  tasks: Map<string, Task>;
  events: FeatureEvent[];
}

/**
 * In-memory FeatureStore for unit tests and quick experiments. Every method
 * does its read-check-write without awaiting in between, which is what makes
 * it atomic on Node's single thread; values are cloned in and out so callers
 * can never mutate stored state by accident.
 */
export class MemoryFeatureStore implements FeatureStore {
  private readonly features = new Map<string, StoredFeature>();
  private readonly deliveries = new Map<string, number>();
  private readonly idempotency = new Map<string, { fingerprint: string; featureId: string; expiresAt: number }>();

  constructor(private readonly deps: { clock: Clock; ids: IdSource }) {}

  async createFeature(input: CreateFeatureInput): Promise<CreateFeatureResult> {
    const now = this.deps.clock.now();
    if (input.idempotency) {
      const claim = this.idempotency.get(input.idempotency.key);
      if (claim && claim.expiresAt > now.getTime()) {
        if (claim.fingerprint !== input.idempotency.fingerprint) throw new IdempotencyKeyReusedError(input.idempotency.key);
        const existing = this.features.get(claim.featureId);
        if (existing) return { feature: structuredClone(existing.feature), created: false };
      }
    }
    if (this.features.has(input.feature.id)) throw new AlreadyExistsError('feature', input.feature.id);
    const event = createdEvent(input.feature, { now: now.toISOString(), eventId: this.deps.ids.ulid() });
    this.features.set(input.feature.id, {
      feature: structuredClone(input.feature),
      tasks: new Map(input.tasks.map((task) => [task.id, structuredClone(task)])),
      events: [event],
    });
    if (input.idempotency) {
      this.idempotency.set(input.idempotency.key, {
        fingerprint: input.idempotency.fingerprint,
        featureId: input.feature.id,
        expiresAt: input.idempotency.expiresAt.getTime(),
      });
    }
    return { feature: structuredClone(input.feature), created: true };
  }

  async getFeature(id: string): Promise<Feature | undefined> {
    const stored = this.features.get(id);
    return stored ? structuredClone(stored.feature) : undefined;
  }

  async listFeatures(query: { limit: number; cursor?: string }): Promise<Page<Feature>> {
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (!featureIdSchema.safeParse(after).success) throw new InvalidCursorError();
    }
    // Feature ids are ULIDs, so descending id order is newest first.
    const ids = [...this.features.keys()].sort().reverse();
    const start = after === undefined ? 0 : ids.findIndex((id) => id < after);
    const slice = start < 0 ? [] : ids.slice(start, start + query.limit);
    const hasMore = start >= 0 && start + query.limit < ids.length;
    const items = slice.map((id) => structuredClone(this.features.get(id)!.feature));
    const last = slice.at(-1);
    return hasMore && last ? { items, nextCursor: Buffer.from(last, 'utf8').toString('base64url') } : { items };
  }

  async getTask(featureId: string, taskId: string): Promise<Task | undefined> {
    const task = this.features.get(featureId)?.tasks.get(taskId);
    return task ? structuredClone(task) : undefined;
  }

  async getFeatureAndTask(featureId: string, taskId: string): Promise<{ feature?: Feature; task?: Task }> {
    const [feature, task] = [await this.getFeature(featureId), await this.getTask(featureId, taskId)];
    return { ...(feature ? { feature } : {}), ...(task ? { task } : {}) };
  }

  async getFeatureWithTasks(featureId: string): Promise<{ feature: Feature; tasks: Task[] } | undefined> {
    const feature = await this.getFeature(featureId);
    return feature ? { feature, tasks: await this.listTasks(featureId) } : undefined;
  }

  async listTasks(featureId: string): Promise<Task[]> {
    const stored = this.features.get(featureId);
    if (!stored) return [];
    return stored.feature.taskIds.flatMap((id) => {
      const task = stored.tasks.get(id);
      return task ? [structuredClone(task)] : [];
    });
  }

  async transitionFeature(id: string, transition: FeatureTransition): Promise<Feature> {
    const stored = this.features.get(id);
    if (!stored) throw new NotFoundError('feature', id);
    const { next, event } = applyFeatureTransition(stored.feature, transition, this.context());
    stored.feature = next;
    stored.events.push(event);
    return structuredClone(next);
  }

  async transitionTask(featureId: string, taskId: string, transition: TaskTransition): Promise<Task> {
    const stored = this.features.get(featureId);
    const current = stored?.tasks.get(taskId);
    if (!stored || !current) throw new NotFoundError('task', `${featureId}/${taskId}`);
    const { next, event } = applyTaskTransition(current, transition, this.context());
    stored.tasks.set(taskId, next);
    stored.events.push(event);
    return structuredClone(next);
  }

  async getSchedulingView(featureId: string): Promise<{ feature: Pick<Feature, 'id' | 'status'>; tasks: TaskState[] } | undefined> {
    const feature = this.features.get(featureId)?.feature;
    return feature ? { feature: { id: feature.id, status: feature.status }, tasks: (await this.listTasks(featureId)).map((task) => taskStateSchema.parse(task)) } : undefined;
  }

  async transitionTaskInPlace(featureId: string, taskId: string, transition: InPlaceTaskTransition): Promise<void> {
    // Reading and writing a map entry is already one step here: the checks are applyTaskTransition's.
    await this.transitionTask(featureId, taskId, transition);
  }

  async replaceWaitToken(featureId: string, taskId: string, token: string): Promise<Task> {
    const stored = this.features.get(featureId);
    const current = stored?.tasks.get(taskId);
    if (!stored || !current) throw new NotFoundError('task', `${featureId}/${taskId}`);
    const next = applyWaitTokenReplacement(current, token, this.context());
    stored.tasks.set(taskId, next);
    return structuredClone(next);
  }

  async savePlan(featureId: string, tasks: readonly Task[]): Promise<Feature> {
    const stored = this.features.get(featureId);
    if (!stored) throw new NotFoundError('feature', featureId);
    const { next, event } = applyPlan(stored.feature, tasks, this.context());
    stored.feature = next;
    for (const task of tasks) stored.tasks.set(task.id, structuredClone(task));
    stored.events.push(event);
    return structuredClone(next);
  }

  async claimDelivery(deliveryId: string, expiresAt: Date): Promise<boolean> {
    const held = this.deliveries.get(deliveryId);
    if (held !== undefined && held > this.deps.clock.now().getTime()) return false;
    this.deliveries.set(deliveryId, expiresAt.getTime());
    return true;
  }

  async releaseDelivery(deliveryId: string): Promise<void> {
    this.deliveries.delete(deliveryId);
  }

  async appendNote(featureId: string, note: NoteInput): Promise<FeatureEvent> {
    const stored = this.features.get(featureId);
    if (!stored) throw new NotFoundError('feature', featureId);
    const { now, eventId } = this.context();
    const event: FeatureEvent = {
      type: 'note',
      featureId,
      id: eventId,
      at: now,
      message: note.message,
      ...(note.taskId === undefined ? {} : { taskId: note.taskId }),
    };
    stored.events.push(event);
    return structuredClone(event);
  }

  async listEvents(featureId: string, query: { after?: string; limit?: number } = {}): Promise<FeatureEvent[]> {
    const events = this.features.get(featureId)?.events ?? [];
    const after = query.after;
    const newer = after === undefined ? events : events.filter((event) => event.id > after);
    return structuredClone(newer.slice(0, query.limit ?? Number.POSITIVE_INFINITY));
  }

  private context() {
    return { now: this.deps.clock.now().toISOString(), eventId: this.deps.ids.ulid() };
  }
}
