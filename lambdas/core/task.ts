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
  pending: ['waiting', 'queued', 'cancelled', 'skipped', 'failed'],
  waiting: ['queued', 'cancelled', 'skipped', 'failed'],
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
  skipped: [],
};

export const canTransitionTask = (from: TaskStatus, to: TaskStatus): boolean => canTransition(taskTransitions, from, to);
export const isTerminalTaskStatus = (status: TaskStatus): boolean => isTerminal(taskTransitions, status);

/** One queue (and one pool of workers) per agent type. */
export const agentTypes = ['code', 'test', 'review', 'conflict'] as const;
export const agentTypeSchema = z.enum(agentTypes);
export type AgentType = z.infer<typeof agentTypeSchema>;

/** What a task is about; the planner derives it and the agents use it to pick tools and prompts. */
export const taskKinds = ['api', 'db', 'docs', 'tests', 'ui', 'infra', 'config', 'review', 'general'] as const;
export const taskKindSchema = z.enum(taskKinds);
export type TaskKind = z.infer<typeof taskKindSchema>;

/**
 * The built-in `sleep` agent: waits `seconds`, then ends as `outcome` says.
 * It exercises the orchestration (scheduling, retries, timeouts) without a
 * model, for tests and the scheduling benchmark only.
 * - `fail`: fails permanently; `fail-once`: fails transiently on the first attempt, then succeeds;
 * - `fail-transient`: fails transiently on every attempt, so the workflow's retries run out;
 * - `hang`: never finishes and stops heartbeating, so the heartbeat timeout fires.
 */
export const sleepSpecSchema = z.strictObject({
  seconds: z.number().min(0).max(3600),
  outcome: z.enum(['succeed', 'fail', 'fail-once', 'fail-transient', 'hang']).default('succeed'),
});
export type SleepSpec = z.infer<typeof sleepSpecSchema>;

/** Task ids are short slugs unique within their feature; they end up in branch names `dsf/tasks/<feature>/<task>`. */
export const taskIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'must be 1-48 lowercase letters, digits or dashes, starting with a letter or digit');

/** What a task's model calls cost, summed over its calls (failed attempts included). */
export const taskUsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  calls: z.number().int().nonnegative(),
});
export type TaskUsage = z.infer<typeof taskUsageSchema>;

export const noUsage: TaskUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };

/** Adds two usages; cost is kept to the micro-dollar, so sums of many small costs carry no floating-point noise. */
export function addUsage(a: TaskUsage, b: TaskUsage): TaskUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e6) / 1e6,
    calls: a.calls + b.calls,
  };
}

/** The usage of many tasks, attempts or features; absent ones count as none. */
export const sumUsage = (usages: Iterable<TaskUsage | undefined>): TaskUsage => {
  let total = noUsage;
  for (const usage of usages) if (usage) total = addUsage(total, usage);
  return total;
};

/**
 * The quality gates' verdict as a review task records it: the Gate step and the
 * pull request read it from here. The full report is rendered into `markdown`.
 */
export const taskGateSchema = z.object({
  passed: z.boolean(),
  gates: z.array(
    z.object({
      gate: z.string(),
      status: z.enum(['passed', 'failed', 'warning', 'skipped']),
      value: z.union([z.number(), z.string(), z.null()]).optional(),
      threshold: z.union([z.number(), z.string(), z.null()]).optional(),
      summary: z.string().max(2_000).optional(),
    }),
  ),
  markdown: z.string().max(60_000),
  /** How many fix rounds ran before this verdict. */
  fixAttempts: z.number().int().nonnegative().default(0),
});
export type TaskGate = z.infer<typeof taskGateSchema>;

export const taskResultSchema = z.object({
  summary: z.string().max(10_000),
  branch: z.string().optional(),
  commit: z.string().optional(),
  error: z.string().max(10_000).optional(),
  usage: taskUsageSchema.optional(),
  /** Paths the conflict agent resolved while integrating this task into the feature branch. */
  conflictsResolved: z.array(z.string()).optional(),
  gate: taskGateSchema.optional(),
  /** The review agent's verdict (review tasks). */
  review: z.object({ decision: z.enum(['approve', 'request_changes']), reasons: z.array(z.string().max(2_000)).max(50) }).optional(),
});
export type TaskResult = z.infer<typeof taskResultSchema>;

export const taskSchema = z.object({
  id: taskIdSchema,
  featureId: z.string(),
  title: z.string().min(1).max(200),
  description: z.string().max(20_000),
  agentType: agentTypeSchema,
  kind: taskKindSchema.default('general'),
  dependsOn: z.array(taskIdSchema),
  acceptanceCriteria: z.array(z.string().min(1).max(1_000)),
  status: taskStatusSchema,
  statusReason: z.string().max(2_000).optional(),
  attempts: z.number().int().nonnegative(),
  result: taskResultSchema.optional(),
  /** Expected duration, for scheduling by longest remaining path. */
  estimatedSeconds: z.number().positive().max(86_400).default(60),
  sleep: sleepSpecSchema.optional(),
  /**
   * The workflow's callback token while the task waits for its dependencies.
   * A capability: whoever holds it can advance the execution, so it never leaves the backend.
   */
  waitToken: z.string().max(2048).optional(),
  /**
   * A digest of the callback token of the attempt now running (never the token
   * itself: tokens are capabilities). A redelivered copy of that attempt's own
   * message is recognised by it and ignored instead of taking the task over.
   */
  attemptToken: z.string().max(128).optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().nonnegative(),
});
export type Task = z.infer<typeof taskSchema>;

/**
 * A task as the scheduler sees it: its state and what ordering needs, none of its content.
 * A store reads it with a projection, so a scheduler pass over hundreds of tasks stays cheap.
 */
export const taskStateSchema = taskSchema.pick({
  id: true,
  featureId: true,
  agentType: true,
  dependsOn: true,
  estimatedSeconds: true,
  status: true,
  waitToken: true,
  version: true,
});
export type TaskState = z.infer<typeof taskStateSchema>;
