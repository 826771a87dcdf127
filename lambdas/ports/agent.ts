import type { Feature } from '../core/feature.js';
import type { Task, TaskResult } from '../core/task.js';

export interface AgentContext {
  /** The task's feature, as the worker read it when it claimed the task (repo, base branch, request). */
  readonly feature: Feature;
  /** Aborted when the feature is cancelled, the attempt is abandoned, or the worker runs out of time. */
  readonly signal: AbortSignal;
  /** Tells the workflow the agent is making progress; an agent that stops calling it is presumed stuck. */
  heartbeat(): Promise<void>;
}

/** What the task records on success; `summary` is also what the workflow is told. */
export type AgentOutcome = Omit<TaskResult, 'error'>;

/** Runs one task to completion. Throws AgentError on failure. */
export interface Agent {
  run(task: Task, context: AgentContext): Promise<AgentOutcome>;
}

/** `retryable` failures (a flaky tool, a rate limit) are retried by the workflow; the others end the task. */
export class AgentError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** What the failed attempt still has to record: tokens spent, a failing gate report. */
    readonly details?: Omit<TaskResult, 'summary' | 'error'>,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** Picks the agent for a task; throws AgentError when none can do it. */
export type AgentSelector = (task: Task) => Agent;
