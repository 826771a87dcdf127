import { z } from 'zod';
import { agentTypeSchema, sleepSpecSchema, taskIdSchema, taskKindSchema, type Task } from './task.js';
import { branchNameSchema, repoNameSchema, type Feature } from './feature.js';
import { topologicalOrder } from './task-graph.js';
import { InvalidPlanError } from './errors.js';

export const plannedTaskSchema = z.strictObject({
  id: taskIdSchema.optional(),
  title: z.string().trim().min(1).max(200),
  description: z.string().max(20_000).default(''),
  agentType: agentTypeSchema.default('code'),
  kind: taskKindSchema.default('general'),
  estimatedSeconds: z.number().positive().max(86_400).optional(),
  sleep: sleepSpecSchema.optional(),
  dependsOn: z.array(taskIdSchema).max(100).default([]),
  acceptanceCriteria: z.array(z.string().trim().min(1).max(1_000)).max(50).default([]),
});
export type PlannedTask = z.infer<typeof plannedTaskSchema>;

/**
 * What a client may send to create a feature. `tasks` is optional: without it
 * the planner decomposes the feature; with it the caller supplies the DAG.
 */
export const featureRequestSchema = z.strictObject({
  title: z.string().trim().min(1).max(200),
  description: z.string().trim().min(1).max(20_000),
  repo: repoNameSchema.optional(),
  baseBranch: branchNameSchema.optional(),
  tasks: z.array(plannedTaskSchema).max(500).optional(),
});
export type FeatureRequest = z.infer<typeof featureRequestSchema>;

export interface NewFeatureDefaults {
  readonly repo: string;
  readonly baseBranch: string;
}

/**
 * Builds a queued feature and its pending tasks from a validated request.
 * Pure: the id and the time are inputs, so it is deterministic under test.
 */
export function buildNewFeature(
  request: FeatureRequest,
  context: { id: string; now: string; defaults: NewFeatureDefaults },
): { feature: Feature; tasks: Task[] } {
  const planned = (request.tasks ?? []).map((task, index) => ({ ...task, id: task.id ?? `t${index + 1}` }));
  const order = (() => {
    try {
      return topologicalOrder(planned);
    } catch (error) {
      if (error instanceof InvalidPlanError) throw new InvalidPlanError(error.message, ['tasks', ...error.path]);
      throw error;
    }
  })();
  const byId = new Map(planned.map((task) => [task.id, task]));
  const tasks: Task[] = order.map((taskId) => {
    const task = byId.get(taskId)!;
    return {
      id: task.id,
      featureId: context.id,
      title: task.title,
      description: task.description,
      agentType: task.agentType,
      kind: task.kind,
      dependsOn: [...new Set(task.dependsOn)],
      acceptanceCriteria: task.acceptanceCriteria,
      status: 'pending',
      attempts: 0,
      // A sleep task knows its duration; other work starts from the planner's estimate.
      estimatedSeconds: task.estimatedSeconds ?? (task.sleep ? Math.max(task.sleep.seconds, 0.001) : 60),
      ...(task.sleep ? { sleep: task.sleep } : {}),
      createdAt: context.now,
      updatedAt: context.now,
      version: 0,
    };
  });
  const feature: Feature = {
    id: context.id,
    title: request.title,
    description: request.description,
    repo: request.repo ?? context.defaults.repo,
    baseBranch: request.baseBranch ?? context.defaults.baseBranch,
    status: 'queued',
    taskIds: order,
    createdAt: context.now,
    updatedAt: context.now,
    version: 0,
  };
  return { feature, tasks };
}
