import type { TaskResult } from '../core/task.js';
import { AgentError } from '../ports/agent.js';
import type { ModelError, ModelErrorKind } from '../ports/model-provider.js';

export const agentStopReasons = ['step_limit', 'repeated_failure', 'no_finish', 'aborted'] as const;
export type AgentStopReason = (typeof agentStopReasons)[number];

type Details = Omit<TaskResult, 'summary' | 'error'>;

/**
 * The loop ended without an accepted `finish`. Never retryable: the same model
 * on the same task would most likely loop the same way; the message says why.
 */
export class AgentStopError extends AgentError {
  constructor(
    readonly reason: AgentStopReason,
    message: string,
    details?: Details,
    options?: ErrorOptions,
  ) {
    super(message, false, details);
    this.name = 'AgentStopError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** A model call failed; retryable exactly when the ModelError is (rate limits, overload, 5xx, timeouts). */
export class AgentModelError extends AgentError {
  readonly kind: ModelErrorKind;
  constructor(error: ModelError, details?: Details) {
    super(`model call failed (${error.kind}): ${error.message}`, error.retryable, details);
    this.name = 'AgentModelError';
    this.kind = error.kind;
    this.cause = error;
  }
}
