import { createHash } from 'node:crypto';
import type { Feature, FeatureSource } from '../core/feature.js';
import type { FeatureEvent } from '../core/feature-event.js';
import { buildNewFeature, type FeatureRequest, type NewFeatureDefaults } from '../core/new-feature.js';
import { isTerminalTaskStatus, taskStatuses, type Task, type TaskStatus } from '../core/task.js';
import { IllegalTransitionError, NotFoundError, StaleStatusError } from '../core/errors.js';
import type { Clock, IdSource } from '../ports/clock.js';
import type { FeatureStore, Page } from '../ports/feature-store.js';
import { executionNameForFeature, type Workflow } from '../ports/workflow.js';

export interface FeatureUseCaseDeps {
  readonly store: FeatureStore;
  readonly workflow: Workflow;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly defaults: NewFeatureDefaults;
  /** How long an Idempotency-Key is remembered. */
  readonly idempotencyTtlSeconds: number;
}

export async function submitFeature(
  deps: FeatureUseCaseDeps,
  input: { request: FeatureRequest; idempotencyKey?: string; source?: FeatureSource },
): Promise<{ feature: Feature; created: boolean }> {
  const now = deps.clock.now();
  const built = buildNewFeature(input.request, {
    id: `feat_${deps.ids.ulid()}`,
    now: now.toISOString(),
    defaults: deps.defaults,
  });
  // The source is set by the trusted caller (the webhook), never taken from a request body.
  const feature: Feature = input.source ? { ...built.feature, source: input.source } : built.feature;
  const { tasks } = built;
  const result = await deps.store.createFeature({
    feature,
    tasks,
    ...(input.idempotencyKey === undefined
      ? {}
      : {
          idempotency: {
            key: input.idempotencyKey,
            fingerprint: fingerprint(input.request),
            expiresAt: new Date(now.getTime() + deps.idempotencyTtlSeconds * 1000),
          },
        }),
  });
  // Started for replays too: if the first request stored the feature but failed to start it,
  // the client's retry with the same key finishes the job. Starting is idempotent by name.
  await deps.workflow.startExecution(executionNameForFeature(result.feature.id), { featureId: result.feature.id });
  return result;
}

export type TaskSummary = { total: number } & Record<TaskStatus, number>;

export interface FeatureDetail extends Feature {
  readonly taskSummary: TaskSummary;
}

export async function getFeatureDetail(deps: Pick<FeatureUseCaseDeps, 'store'>, id: string): Promise<FeatureDetail> {
  const { feature, tasks } = await requireFeatureWithTasks(deps.store, id);
  return { ...feature, taskSummary: summarizeTasks(tasks) };
}

export function summarizeTasks(tasks: readonly Task[]): TaskSummary {
  const summary = { total: tasks.length, ...Object.fromEntries(taskStatuses.map((s) => [s, 0])) } as TaskSummary;
  for (const task of tasks) summary[task.status] += 1;
  return summary;
}

export async function listFeatures(
  deps: Pick<FeatureUseCaseDeps, 'store'>,
  query: { limit: number; cursor?: string },
): Promise<Page<Feature>> {
  return deps.store.listFeatures(query);
}

/** A task as clients see it: without its callback token, which would let the holder advance the workflow. */
export type PublicTask = Omit<Task, 'waitToken'>;

export function toPublicTask(task: Task): PublicTask {
  const { waitToken: _token, ...rest } = task;
  return rest;
}

export async function listFeatureTasks(deps: Pick<FeatureUseCaseDeps, 'store'>, id: string): Promise<PublicTask[]> {
  return (await requireFeatureWithTasks(deps.store, id)).tasks.map(toPublicTask);
}

export async function listFeatureEvents(
  deps: Pick<FeatureUseCaseDeps, 'store'>,
  id: string,
  query: { after?: string; limit: number },
): Promise<FeatureEvent[]> {
  await requireFeature(deps.store, id);
  return deps.store.listEvents(id, query);
}

/**
 * Cancels the feature, stops its execution, then cancels every task that has
 * not finished. The feature's own transition is the commit point: workers check
 * it on every heartbeat and stop their agent, and a task that finishes in the
 * meantime keeps its status.
 */
export async function cancelFeature(
  deps: Pick<FeatureUseCaseDeps, 'store' | 'workflow'>,
  id: string,
  reason = 'cancelled by request',
): Promise<Feature> {
  const feature = await deps.store.transitionFeature(id, { to: 'cancelled', reason });
  await deps.workflow.stopExecution(executionNameForFeature(id), { error: 'DSF.Cancelled', cause: reason });
  for (const task of await deps.store.listTasks(id)) {
    if (isTerminalTaskStatus(task.status)) continue;
    try {
      await deps.store.transitionTask(id, task.id, { to: 'cancelled', expectedFrom: task.status, reason });
    } catch (error) {
      // The task moved on its own since we listed it (finished, or started): leave it to its worker.
      if (!(error instanceof StaleStatusError || error instanceof IllegalTransitionError)) throw error;
    }
  }
  return feature;
}

async function requireFeatureWithTasks(store: FeatureStore, id: string): Promise<{ feature: Feature; tasks: Task[] }> {
  const found = await store.getFeatureWithTasks(id);
  if (!found) throw new NotFoundError('feature', id);
  return found;
}

async function requireFeature(store: FeatureStore, id: string): Promise<Feature> {
  const feature = await store.getFeature(id);
  if (!feature) throw new NotFoundError('feature', id);
  return feature;
}

/** Same request body (in any key order or spacing) → same fingerprint. */
export function fingerprint(request: FeatureRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
