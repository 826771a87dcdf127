import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  executionArnFor,
  MAX_CAUSE_LENGTH,
  MAX_ERROR_LENGTH,
  MAX_OUTPUT_BYTES,
  SfnWorkflow,
  truncate,
} from '../../lambdas/adapters/sfn/sfn-workflow.js';

const stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:dsf-feature';
const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:dsf-feature:feature-01JABC';
const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAT0kGtoken';
const metadata = { $metadata: {} };

const sfn = mockClient(SFNClient);
const workflow = new SfnWorkflow({ client: new SFNClient({ region: 'eu-west-1' }), stateMachineArn });

afterEach(() => {
  sfn.reset();
});

describe('executionArnFor', () => {
  it('turns a state machine ARN into the ARN of one of its executions', () => {
    expect(executionArnFor(stateMachineArn, 'feature-01JABC')).toBe(executionArn);
  });

  it('keeps the partition and drops a version or alias qualifier', () => {
    expect(executionArnFor('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:dsf:7', 'x')).toBe(
      'arn:aws-cn:states:cn-north-1:123456789012:execution:dsf:x',
    );
    expect(executionArnFor('arn:aws:states:us-east-1:123456789012:stateMachine:dsf:live', 'x')).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:dsf:x',
    );
  });

  it('rejects anything that is not a state machine ARN', () => {
    expect(() => executionArnFor('arn:aws:states:eu-west-1:123456789012:activity:dsf', 'x')).toThrow(TypeError);
    expect(() => executionArnFor('dsf-feature', 'x')).toThrow(TypeError);
    expect(() => new SfnWorkflow({ client: new SFNClient({}), stateMachineArn: '${StateMachineArn}' })).toThrow(TypeError);
  });
});

describe('truncate', () => {
  it('leaves short strings alone and cuts long ones to the limit', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('abc');
  });

  it('never leaves half a surrogate pair at the end', () => {
    expect(truncate('ab😀', 3)).toBe('ab');
  });
});

describe('SfnWorkflow.startExecution', () => {
  it('starts the named execution with the input as JSON', async () => {
    // Arrange
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });

    // Act
    const result = await workflow.startExecution('feature-01JABC', { featureId: '01JABC' });

    // Assert
    expect(result).toEqual({ name: 'feature-01JABC', alreadyStarted: false });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn,
      name: 'feature-01JABC',
      input: '{"featureId":"01JABC"}',
    });
  });

  it('reports an execution that already exists under that name as already started', async () => {
    // Arrange
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...metadata }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, stateMachineArn, name: 'feature-01JABC', status: 'SUCCEEDED', startDate: new Date() });

    // Act
    const result = await workflow.startExecution('feature-01JABC', { featureId: '01JABC' });

    // Assert
    expect(result).toEqual({ name: 'feature-01JABC', alreadyStarted: true });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]!.args[0].input).toEqual({ executionArn });
  });

  it('rethrows ExecutionAlreadyExists when the execution cannot be found', async () => {
    // Arrange
    const conflict = new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...metadata });
    sfn.on(StartExecutionCommand).rejects(conflict);
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no such execution', ...metadata }));

    // Act
    const start = workflow.startExecution('feature-01JABC', {});

    // Assert
    await expect(start).rejects.toBe(conflict);
  });

  it('rethrows any other error', async () => {
    // Arrange
    sfn.on(StartExecutionCommand).rejects(new ValidationException({ message: 'bad name', ...metadata }));

    // Act
    const start = workflow.startExecution('feature-01JABC', {});

    // Assert
    await expect(start).rejects.toBeInstanceOf(ValidationException);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });
});

describe('SfnWorkflow.describeExecution', () => {
  it('maps a finished execution with its parsed output', async () => {
    // Arrange
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      stateMachineArn,
      name: 'feature-01JABC',
      status: 'SUCCEEDED',
      startDate: new Date(),
      output: '{"featureId":"01JABC","gate":{"next":"pull_request"}}',
    });

    // Act
    const description = await workflow.describeExecution('feature-01JABC');

    // Assert
    expect(description).toEqual({ name: 'feature-01JABC', status: 'SUCCEEDED', output: { featureId: '01JABC', gate: { next: 'pull_request' } } });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]!.args[0].input).toEqual({ executionArn });
  });

  it('maps a failed execution with its error and cause', async () => {
    // Arrange
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      stateMachineArn,
      name: 'feature-01JABC',
      status: 'FAILED',
      startDate: new Date(),
      error: 'DSF.FeatureFailed',
      cause: 'The feature failed',
    });

    // Act
    const description = await workflow.describeExecution('feature-01JABC');

    // Assert
    expect(description).toEqual({ name: 'feature-01JABC', status: 'FAILED', error: 'DSF.FeatureFailed', cause: 'The feature failed' });
  });

  it.each([
    ['RUNNING', 'RUNNING'],
    ['TIMED_OUT', 'TIMED_OUT'],
    ['ABORTED', 'ABORTED'],
    ['PENDING_REDRIVE', 'RUNNING'],
  ] as const)('maps status %s to %s', async (sfnStatus, status) => {
    // Arrange
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, stateMachineArn, status: sfnStatus, startDate: new Date() });

    // Act
    const description = await workflow.describeExecution('feature-01JABC');

    // Assert
    expect(description).toEqual({ name: 'feature-01JABC', status });
  });

  it('returns undefined for an execution that does not exist', async () => {
    // Arrange
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no such execution', ...metadata }));

    // Act
    const description = await workflow.describeExecution('feature-01JABC');

    // Assert
    expect(description).toBeUndefined();
  });

  it('rethrows any other error', async () => {
    // Arrange
    sfn.on(DescribeExecutionCommand).rejects(new Error('network down'));

    // Act
    const describing = workflow.describeExecution('feature-01JABC');

    // Assert
    await expect(describing).rejects.toThrow('network down');
  });
});

describe('SfnWorkflow.stopExecution', () => {
  it('stops the execution with the reason, truncated to the service limits', async () => {
    // Arrange
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    // Act
    await workflow.stopExecution('feature-01JABC', { error: 'E'.repeat(300), cause: 'c'.repeat(40_000) });

    // Assert
    expect(sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input).toEqual({
      executionArn,
      error: 'E'.repeat(MAX_ERROR_LENGTH),
      cause: 'c'.repeat(MAX_CAUSE_LENGTH),
    });
  });

  it('is a no-op for an execution that does not exist', async () => {
    // Arrange
    sfn.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no such execution', ...metadata }));

    // Act
    const stopping = workflow.stopExecution('feature-01JABC', { error: 'DSF.Cancelled', cause: 'cancelled by user' });

    // Assert
    await expect(stopping).resolves.toBeUndefined();
  });

  it('is a no-op when the call fails because the execution has already ended', async () => {
    // Arrange
    sfn.on(StopExecutionCommand).rejects(new ValidationException({ message: 'Execution is not running', ...metadata }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, stateMachineArn, status: 'SUCCEEDED', startDate: new Date() });

    // Act
    const stopping = workflow.stopExecution('feature-01JABC', { error: 'DSF.Cancelled', cause: 'cancelled by user' });

    // Assert
    await expect(stopping).resolves.toBeUndefined();
  });

  it('rethrows when the execution is still running', async () => {
    // Arrange
    const throttled = new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', ...metadata });
    sfn.on(StopExecutionCommand).rejects(throttled);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, stateMachineArn, status: 'RUNNING', startDate: new Date() });

    // Act
    const stopping = workflow.stopExecution('feature-01JABC', { error: 'DSF.Cancelled', cause: 'cancelled by user' });

    // Assert
    await expect(stopping).rejects.toBe(throttled);
  });

  it('rethrows the original error when the execution cannot be described either', async () => {
    // Arrange
    const denied = new Error('AccessDenied');
    sfn.on(StopExecutionCommand).rejects(denied);
    sfn.on(DescribeExecutionCommand).rejects(new Error('AccessDenied too'));

    // Act
    const stopping = workflow.stopExecution('feature-01JABC', { error: 'DSF.Cancelled', cause: 'cancelled by user' });

    // Assert
    await expect(stopping).rejects.toBe(denied);
  });
});

describe('SfnWorkflow.sendTaskSuccess', () => {
  it('sends the output as JSON and returns true', async () => {
    // Arrange
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    const released = await workflow.sendTaskSuccess(token, { action: 'run', agentType: 'code' });

    // Assert
    expect(released).toBe(true);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: token, output: '{"action":"run","agentType":"code"}' });
  });

  it('sends null for an undefined output', async () => {
    // Arrange
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    await workflow.sendTaskSuccess(token, undefined);

    // Assert
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output).toBe('null');
  });

  it('accepts an output of exactly 256 KiB and rejects a larger one before calling the service', async () => {
    // Arrange
    sfn.on(SendTaskSuccessCommand).resolves({});
    const fits = { summary: 'x'.repeat(MAX_OUTPUT_BYTES - '{"summary":""}'.length) };
    // Multi-byte characters count by their UTF-8 size, not by string length.
    const tooBig = { summary: 'é'.repeat(MAX_OUTPUT_BYTES / 2) };

    // Act
    const released = await workflow.sendTaskSuccess(token, fits);
    const rejected = workflow.sendTaskSuccess(token, tooBig);

    // Assert
    expect(released).toBe(true);
    await expect(rejected).rejects.toThrow(RangeError);
    await expect(rejected).rejects.toThrow(/262144/);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });
});

describe('SfnWorkflow.sendTaskFailure', () => {
  it('sends the error and cause and returns true', async () => {
    // Arrange
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    const released = await workflow.sendTaskFailure(token, { error: 'Agent.Retryable', cause: 'model throttled' });

    // Assert
    expect(released).toBe(true);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({ taskToken: token, error: 'Agent.Retryable', cause: 'model throttled' });
  });

  it('truncates the error to 256 and the cause to 32768 characters', async () => {
    // Arrange
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    await workflow.sendTaskFailure(token, { error: 'E'.repeat(MAX_ERROR_LENGTH + 1), cause: 'c'.repeat(MAX_CAUSE_LENGTH * 2) });

    // Assert
    const { error, cause } = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(error).toHaveLength(256);
    expect(cause).toHaveLength(32_768);
  });
});

describe('SfnWorkflow.sendTaskHeartbeat', () => {
  it('sends the token and returns true', async () => {
    // Arrange
    sfn.on(SendTaskHeartbeatCommand).resolves({});

    // Act
    const alive = await workflow.sendTaskHeartbeat(token);

    // Assert
    expect(alive).toBe(true);
    expect(sfn.commandCalls(SendTaskHeartbeatCommand)[0]!.args[0].input).toEqual({ taskToken: token });
  });
});

describe('releasing a token that is no longer valid', () => {
  const staleTokenErrors = [
    new TaskTimedOut({ message: 'Task Timed Out', ...metadata }),
    new TaskDoesNotExist({ message: 'Task does not exist', ...metadata }),
    new InvalidToken({ message: 'Invalid token', ...metadata }),
  ];
  const releases = [
    {
      method: 'sendTaskSuccess',
      rejectWith: (error: Error) => sfn.on(SendTaskSuccessCommand).rejects(error),
      release: () => workflow.sendTaskSuccess(token, { summary: 'done' }),
    },
    {
      method: 'sendTaskFailure',
      rejectWith: (error: Error) => sfn.on(SendTaskFailureCommand).rejects(error),
      release: () => workflow.sendTaskFailure(token, { error: 'Agent.Failed', cause: 'x' }),
    },
    {
      method: 'sendTaskHeartbeat',
      rejectWith: (error: Error) => sfn.on(SendTaskHeartbeatCommand).rejects(error),
      release: () => workflow.sendTaskHeartbeat(token),
    },
  ];

  for (const { method, rejectWith, release } of releases) {
    it.each(staleTokenErrors.map((error) => [error.name, error] as const))(`${method} returns false on %s`, async (_name, error) => {
      // Arrange
      rejectWith(error);

      // Act
      const released = await release();

      // Assert
      expect(released).toBe(false);
    });

    it(`${method} rethrows any other error`, async () => {
      // Arrange
      const throttled = new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', ...metadata });
      rejectWith(throttled);

      // Act
      const releasing = release();

      // Assert
      await expect(releasing).rejects.toBe(throttled);
    });
  }
});

describe('SfnWorkflow without a state machine ARN', () => {
  it('completes task tokens but refuses to start executions', async () => {
    const { SFNClient: Client, SendTaskSuccessCommand: Success } = await import('@aws-sdk/client-sfn');
    const { mockClient: mock } = await import('aws-sdk-client-mock');
    const sfn = mock(Client);
    sfn.on(Success).resolves({});
    const workflow = new SfnWorkflow({ client: new Client({ region: 'us-east-1' }) });
    try {
      expect(await workflow.sendTaskSuccess('token', { ok: true })).toBe(true);
      await expect(workflow.startExecution('feature-x', {})).rejects.toThrow(/without a state machine ARN/);
    } finally {
      sfn.restore();
    }
  });
});
