/**
 * The feature workflow engine: Step Functions on AWS, the same definition run
 * by the local engine on one machine.
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionDescription {
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export interface Workflow {
  /**
   * Starts an execution. Idempotent by name: starting a name that already runs
   * returns the running execution instead of a second one.
   */
  startExecution(name: string, input: Record<string, unknown>): Promise<{ name: string; alreadyStarted: boolean }>;
  describeExecution(name: string): Promise<ExecutionDescription | undefined>;
  /** Stops a running execution; stopping one that has ended is a no-op. */
  stopExecution(name: string, reason: { error: string; cause: string }): Promise<void>;
  /**
   * Completes a waitForTaskToken state. Returns false when the token is no longer
   * valid (already completed, timed out, or its execution stopped): releasing a
   * token twice is harmless by design.
   */
  sendTaskSuccess(token: string, output: unknown): Promise<boolean>;
  sendTaskFailure(token: string, failure: { error: string; cause: string }): Promise<boolean>;
  /** Returns false when the token is no longer valid, which tells a worker to stop. */
  sendTaskHeartbeat(token: string): Promise<boolean>;
}

/** Execution names are unique per state machine and at most 80 characters. */
export const executionNameForFeature = (featureId: string): string => `feature-${featureId}`;

/** The feature id back from an execution name made by executionNameForFeature. */
export const featureIdFromExecutionName = (name: string): string | undefined =>
  name.startsWith('feature-') ? name.slice('feature-'.length) : undefined;
