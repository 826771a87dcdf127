import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { ExecutionDescription, ExecutionStatus, Workflow } from '../../ports/workflow.js';

/** Step Functions API limits, in characters, on the `error` and `cause` of a failure or stop. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;
/** Step Functions rejects task output above 256 KiB of UTF-8 JSON. */
export const MAX_OUTPUT_BYTES = 256 * 1024;

const stateMachineArnPattern = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})(?::[A-Za-z0-9_.-]+)?$/;

/**
 * The ARN of execution `executionName` of a state machine. A version or alias
 * qualifier on the state machine ARN is dropped: executions belong to the
 * state machine itself.
 */
export const executionArnFor = (stateMachineArn: string, executionName: string): string =>
  `${executionArnPrefix(stateMachineArn)}${executionName}`;

const executionArnPrefix = (stateMachineArn: string): string => {
  const match = stateMachineArnPattern.exec(stateMachineArn);
  if (!match) throw new TypeError(`not a state machine ARN: ${stateMachineArn}`);
  const [, partition, region, account, machineName] = match;
  return `arn:${partition}:states:${region}:${account}:execution:${machineName}:`;
};

/** Cuts `value` to `max` UTF-16 units without leaving half a surrogate pair behind. */
export const truncate = (value: string, max: number): string => {
  if (value.length <= max) return value;
  const cut = value.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
};

// PENDING_REDRIVE means a redrive was accepted and the execution is about to run again.
const sfnStatusSchema = z
  .enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'])
  .transform((status): ExecutionStatus => (status === 'PENDING_REDRIVE' ? 'RUNNING' : status));

/** A token that was already used, timed out, or belongs to an execution that ended. */
const isStaleToken = (error: unknown): boolean =>
  error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken;

/** The Workflow port on AWS Step Functions (Standard workflows). */
export class SfnWorkflow implements Workflow {
  private readonly client: SFNClient;
  private readonly stateMachine: { arn: string; executionArnPrefix: string } | undefined;

  /**
   * `stateMachineArn` is needed to start, describe and stop executions. The state machine's own
   * functions only complete task tokens, and cannot be given it: the state machine's definition
   * names them, so their environment naming it would be a circular dependency.
   */
  constructor(deps: { client: SFNClient; stateMachineArn?: string }) {
    this.client = deps.client;
    this.stateMachine = deps.stateMachineArn
      ? { arn: deps.stateMachineArn, executionArnPrefix: executionArnPrefix(deps.stateMachineArn) }
      : undefined;
  }

  private requireStateMachine(): { arn: string; executionArnPrefix: string } {
    if (!this.stateMachine) throw new Error('this SfnWorkflow was built without a state machine ARN: it can only complete task tokens');
    return this.stateMachine;
  }

  async startExecution(name: string, input: Record<string, unknown>): Promise<{ name: string; alreadyStarted: boolean }> {
    try {
      // A Standard workflow started again with the same name and input while it runs returns the
      // running execution, so a redelivered start is not told apart from a fresh one here.
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.requireStateMachine().arn, name, input: JSON.stringify(input) }));
      return { name, alreadyStarted: false };
    } catch (error) {
      // Same name with a different input, or an execution of that name that has closed: names
      // stay taken for 90 days after the execution ends.
      if (error instanceof ExecutionAlreadyExists && (await this.describeExecution(name)) !== undefined) {
        return { name, alreadyStarted: true };
      }
      throw error;
    }
  }

  async describeExecution(name: string): Promise<ExecutionDescription | undefined> {
    try {
      const response = await this.client.send(new DescribeExecutionCommand({ executionArn: this.executionArn(name) }));
      const output: unknown = response.output === undefined ? undefined : JSON.parse(response.output);
      return {
        name: response.name ?? name,
        status: sfnStatusSchema.parse(response.status),
        ...(output === undefined ? {} : { output }),
        ...(response.error === undefined ? {} : { error: response.error }),
        ...(response.cause === undefined ? {} : { cause: response.cause }),
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
  }

  async stopExecution(name: string, reason: { error: string; cause: string }): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({
          executionArn: this.executionArn(name),
          error: truncate(reason.error, MAX_ERROR_LENGTH),
          cause: truncate(reason.cause, MAX_CAUSE_LENGTH),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      // Whatever the service calls "not running", an execution that has ended needs no stop;
      // one that still runs must not be reported as stopped.
      const current = await this.describeExecution(name).catch(() => undefined);
      if (current !== undefined && current.status !== 'RUNNING') return;
      throw error;
    }
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<boolean> {
    const json = JSON.stringify(output) ?? 'null';
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_OUTPUT_BYTES) {
      throw new RangeError(`task output is ${bytes} bytes of JSON; Step Functions accepts at most ${MAX_OUTPUT_BYTES}`);
    }
    return this.releaseToken(() => this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: json })));
  }

  async sendTaskFailure(token: string, failure: { error: string; cause: string }): Promise<boolean> {
    return this.releaseToken(() =>
      this.client.send(
        new SendTaskFailureCommand({
          taskToken: token,
          error: truncate(failure.error, MAX_ERROR_LENGTH),
          cause: truncate(failure.cause, MAX_CAUSE_LENGTH),
        }),
      ),
    );
  }

  async sendTaskHeartbeat(token: string): Promise<boolean> {
    return this.releaseToken(() => this.client.send(new SendTaskHeartbeatCommand({ taskToken: token })));
  }

  private async releaseToken(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      // A token released twice, or after its state timed out, is harmless by design.
      if (isStaleToken(error)) return false;
      throw error;
    }
  }

  private executionArn(name: string): string {
    return `${this.requireStateMachine().executionArnPrefix}${name}`;
  }
}
