import type { Task } from '../core/task.js';

export interface AgentContext {
  /** Aborted when the feature is cancelled, the attempt is abandoned, or the worker runs out of time. */
  readonly signal: AbortSignal;
  /** Tells the workflow the agent is making progress; an agent that stops calling it is presumed stuck. */
  heartbeat(): Promise<void>;
}

export interface AgentOutcome {
  readonly summary: string;
  readonly branch?: string;
  readonly commit?: string;
}

/** Runs one task to completion. Throws AgentError on failure. */
export interface Agent {
  run(task: Task, context: AgentContext): Promise<AgentOutcome>;
}

/** `retryable` failures (a flaky tool, a rate limit) are retried by the workflow; the others end the task. */
export class AgentError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** Picks the agent for a task; throws AgentError when none can do it. */
export type AgentSelector = (task: Task) => Agent;
