import { z } from 'zod';
import { canTransition, isTerminal, type TransitionTable } from './status-machine.js';

export const taskStatuses = ['pending', 'waiting', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;
export const taskStatusSchema = z.enum(taskStatuses);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

/**
 * Legal task transitions. `running → queued` is a retry after a transient
 * failure (attempts are bounded by the orchestrator). `skipped` means a
 * dependency failed, so the task never ran.
 */
export const taskTransitions: TransitionTable<TaskStatus> = {
  pending: ['waiting', 'queued', 'cancelled', 'skipped'],
  waiting: ['queued', 'cancelled', 'skipped'],
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
  skipped: [],
};

export const canTransitionTask = (from: TaskStatus, to: TaskStatus): boolean => canTransition(taskTransitions, from, to);
export const isTerminalTaskStatus = (status: TaskStatus): boolean => isTerminal(taskTransitions, status);

export const agentTypes = ['code', 'test', 'review', 'docs', 'conflict', 'sleep'] as const;
export const agentTypeSchema = z.enum(agentTypes);
export type AgentType = z.infer<typeof agentTypeSchema>;

/** Task ids are short slugs unique within their feature; they end up in branch names `dsf/<feature>/<task>`. */
export const taskIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'must be 1-48 lowercase letters, digits or dashes, starting with a letter or digit');

export const taskResultSchema = z.object({
  summary: z.string().max(10_000),
  branch: z.string().optional(),
  commit: z.string().optional(),
  error: z.string().max(10_000).optional(),
});
export type TaskResult = z.infer<typeof taskResultSchema>;

export const taskSchema = z.object({
  id: taskIdSchema,
  featureId: z.string(),
  title: z.string().min(1).max(200),
  description: z.string().max(20_000),
  agentType: agentTypeSchema,
  dependsOn: z.array(taskIdSchema),
  acceptanceCriteria: z.array(z.string().min(1).max(1_000)),
  status: taskStatusSchema,
  statusReason: z.string().max(2_000).optional(),
  attempts: z.number().int().nonnegative(),
  result: taskResultSchema.optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().nonnegative(),
});
export type Task = z.infer<typeof taskSchema>;
