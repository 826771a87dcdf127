import './promise-with-resolvers.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionDescription, ExecutionStatus, Workflow } from '../../lambdas/ports/workflow.js';
import type { AppLogger } from '../../lambdas/ports/logger.js';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** A Lambda function as the local engine calls it: the payload in, the function's result out. */
export type LocalFunction = (payload: unknown) => Promise<unknown>;

export interface LocalWorkflowOptions {
  /** The ASL file, exactly as deployed. */
  readonly definitionPath: string;
  /** `${Name}` → value, as CDK definitionSubstitutions would resolve them. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** Function ARN (after substitution) → the handler to call in process. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  /** Sends a message to a queue URL (after substitution); the body is the JSON Step Functions would send. */
  readonly sendMessage: (queueUrl: string, body: string) => Promise<void>;
  readonly logger: AppLogger;
  /** Per state name: shorter heartbeat and timeout than the definition says (tests). */
  readonly timeoutOverrides?: Readonly<Record<string, { heartbeatSeconds?: number; timeoutSeconds?: number }>>;
  /**
   * Called when an execution fails in a way its own Catch cannot see (States.Runtime,
   * an execution timeout): the counterpart of the EventBridge rule on failed executions.
   */
  readonly onExecutionFailed?: (name: string, failure: { error: string; cause: string }) => Promise<void>;
  /** Per state name: fixed retry intervals in ms instead of the definition's backoff (tests). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
}

interface PendingToken {
  readonly execution: string;
  readonly state: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
  dispose(): void;
}

interface ExecutionRecord {
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  abort(): void;
  readonly done: Promise<void>;
}

/** An error with a States-language name, so Retry and Catch match on it as they would on AWS. */
export class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const SQS_SEND_WAIT = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';

interface TaskStateDefinition {
  Type: 'Task';
  Resource: string;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
}

/**
 * Runs the feature state machine on one machine with aws-local-stepfunctions,
 * from the same ASL file Step Functions runs, and implements the Workflow port.
 *
 * What the library lacks, this adds: a unique task token per waitForTaskToken
 * call (the library only has one static `$$.Task.Token`), SendTaskSuccess /
 * Failure / Heartbeat, and heartbeat and timeout enforcement for those waits.
 */
export class LocalWorkflow implements Workflow {
  private readonly machine: StateMachine;
  private readonly taskStates = new Map<string, TaskStateDefinition>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tokens = new Map<string, PendingToken>();

  constructor(private readonly options: LocalWorkflowOptions) {
    const raw = readFileSync(options.definitionPath, 'utf8');
    const substituted = raw.replace(/\$\{(\w+)\}/g, (_match, name: string) => {
      const value = options.substitutions[name];
      if (value === undefined) throw new Error(`no substitution for \${${name}} in ${options.definitionPath}`);
      return value;
    });
    const definition = JSON.parse(substituted) as StateMachineDefinition;
    collectTaskStates(definition as unknown as JsonObject, this.taskStates);
    this.machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  }

  async startExecution(name: string, input: Record<string, unknown>): Promise<{ name: string; alreadyStarted: boolean }> {
    const existing = this.executions.get(name);
    // Names are unique per state machine, as on AWS: a name is never run twice.
    if (existing) return { name, alreadyStarted: true };
    const overrides = Object.fromEntries([...this.taskStates].map(([state, definition]) => [state, this.override(name, state, definition)]));
    const run = this.machine.run(input as JsonValue, {
      overrides: { taskResourceLocalHandlers: overrides, retryIntervalOverrides: { ...this.options.retryIntervalOverrides } },
      // The engine resolves $$.Task.Token from here, once for all states; each wait replaces it with its own token.
      context: {
        Execution: { Id: name, Name: name, Input: input as JsonValue, StartTime: new Date().toISOString() },
        Task: { Token: 'replaced-per-call' },
      },
    });
    const record: ExecutionRecord = {
      status: 'RUNNING',
      abort: run.abort,
      done: run.result.then(
        (output) => {
          record.status = 'SUCCEEDED';
          record.output = output;
        },
        (error: unknown) => {
          if (error instanceof ExecutionAbortedError) {
            record.status = 'ABORTED';
          } else {
            record.status = 'FAILED';
            const cause = error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error);
            record.error = cause?.name ?? 'Error';
            record.cause = cause?.message ?? String(error);
            this.options.logger.warn('execution failed', { execution: name, error: record.error, cause: record.cause });
            return this.options.onExecutionFailed?.(name, { error: record.error, cause: record.cause });
          }
        },
      ),
    };
    this.executions.set(name, record);
    void record.done.finally(() => this.disposeTokens(name));
    return { name, alreadyStarted: false };
  }

  async describeExecution(name: string): Promise<ExecutionDescription | undefined> {
    const record = this.executions.get(name);
    if (!record) return undefined;
    return {
      name,
      status: record.status,
      ...(record.output === undefined ? {} : { output: record.output }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
    };
  }

  /** Resolves when the execution has ended (local only: tests and the demo wait on it). */
  async waitForExecution(name: string): Promise<ExecutionDescription | undefined> {
    await this.executions.get(name)?.done;
    return this.describeExecution(name);
  }

  async stopExecution(name: string, reason: { error: string; cause: string }): Promise<void> {
    const record = this.executions.get(name);
    if (!record || record.status !== 'RUNNING') return;
    record.status = 'ABORTED';
    record.error = reason.error;
    record.cause = reason.cause;
    record.abort();
    this.disposeTokens(name);
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<boolean> {
    const pending = this.take(token);
    pending?.resolve(output);
    return pending !== undefined;
  }

  async sendTaskFailure(token: string, failure: { error: string; cause: string }): Promise<boolean> {
    const pending = this.take(token);
    pending?.reject(new StatesError(failure.error, failure.cause));
    return pending !== undefined;
  }

  async sendTaskHeartbeat(token: string): Promise<boolean> {
    const pending = this.tokens.get(token);
    pending?.heartbeat();
    return pending !== undefined;
  }

  /** Stops every execution and forgets every token (shutdown). */
  async close(): Promise<void> {
    for (const [name, record] of this.executions) {
      if (record.status === 'RUNNING') await this.stopExecution(name, { error: 'DSF.Shutdown', cause: 'local runtime stopped' });
    }
  }

  private take(token: string): PendingToken | undefined {
    const pending = this.tokens.get(token);
    if (!pending) return undefined;
    this.tokens.delete(token);
    pending.dispose();
    return pending;
  }

  private disposeTokens(execution: string): void {
    for (const [token, pending] of this.tokens) {
      if (pending.execution !== execution) continue;
      this.tokens.delete(token);
      pending.dispose();
    }
  }

  private override(execution: string, state: string, definition: TaskStateDefinition): (input: JsonValue) => Promise<JsonValue> {
    switch (definition.Resource) {
      case LAMBDA_INVOKE:
        return async (input) => {
          const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
          const payload = (await this.lambda(FunctionName)(Payload)) ?? null;
          // The optimized integration wraps the function's result; ResultSelectors read $.Payload.
          return { Payload: payload as JsonValue, StatusCode: 200 };
        };
      case LAMBDA_INVOKE_WAIT:
        return (input) =>
          this.waitForToken(execution, state, definition, async (token) => {
            const { FunctionName, Payload } = input as { FunctionName: string; Payload: JsonObject };
            await this.lambda(FunctionName)(withToken(Payload, token));
          });
      case SQS_SEND_WAIT:
        return (input) =>
          this.waitForToken(execution, state, definition, async (token) => {
            const { QueueUrl, MessageBody } = input as { QueueUrl: string; MessageBody: JsonValue };
            const body = typeof MessageBody === 'string' ? MessageBody : JSON.stringify(withToken(MessageBody as JsonObject, token));
            await this.options.sendMessage(QueueUrl, body);
          });
      default:
        throw new Error(`the local engine cannot run ${definition.Resource} (state ${state})`);
    }
  }

  private lambda(arn: string): LocalFunction {
    const fn = this.options.functions[arn];
    if (!fn) throw new StatesError('Lambda.ResourceNotFoundException', `no local handler for ${arn}`);
    return fn;
  }

  /**
   * Mints a token, starts the call that carries it, and waits for the callback,
   * enforcing HeartbeatSeconds and TimeoutSeconds the way Step Functions does.
   */
  private waitForToken(
    execution: string,
    state: string,
    definition: TaskStateDefinition,
    start: (token: string) => Promise<void>,
  ): Promise<JsonValue> {
    const override = this.options.timeoutOverrides?.[state];
    const heartbeatSeconds = override?.heartbeatSeconds ?? definition.HeartbeatSeconds;
    const timeoutSeconds = override?.timeoutSeconds ?? definition.TimeoutSeconds;
    const token = `${Buffer.from(execution).toString('base64url')}.${randomUUID()}`;
    return new Promise<JsonValue>((resolve, reject) => {
      let heartbeatTimer: NodeJS.Timeout | undefined;
      const fail = (name: string, message: string) => {
        if (this.take(token)) reject(new StatesError(name, message));
      };
      const armHeartbeat = () => {
        if (heartbeatSeconds === undefined) return;
        clearTimeout(heartbeatTimer);
        heartbeatTimer = setTimeout(() => fail('States.HeartbeatTimeout', `no heartbeat for ${heartbeatSeconds}s in ${state}`), heartbeatSeconds * 1000);
      };
      const timeoutTimer =
        timeoutSeconds === undefined ? undefined : setTimeout(() => fail('States.Timeout', `${state} timed out after ${timeoutSeconds}s`), timeoutSeconds * 1000);
      this.tokens.set(token, {
        execution,
        state,
        resolve: (output) => resolve((output ?? null) as JsonValue),
        reject,
        heartbeat: armHeartbeat,
        dispose: () => {
          clearTimeout(heartbeatTimer);
          clearTimeout(timeoutTimer);
        },
      });
      armHeartbeat();
      start(token).catch((error: unknown) => {
        if (this.take(token)) reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }
}

/** Replaces the `taskToken` field (the engine's one static `$$.Task.Token`) with this call's own token. */
function withToken(payload: JsonObject, token: string): JsonObject {
  return { ...payload, taskToken: token };
}

function collectTaskStates(machine: JsonObject, into: Map<string, TaskStateDefinition>): void {
  const states = machine['States'] as Record<string, JsonObject>;
  for (const [name, state] of Object.entries(states)) {
    if (state['Type'] === 'Task') {
      if (into.has(name)) throw new Error(`state name ${name} is used twice; local overrides are keyed by name`);
      into.set(name, state as unknown as TaskStateDefinition);
    }
    const nested = (state['ItemProcessor'] ?? state['Iterator']) as JsonObject | undefined;
    if (nested) collectTaskStates(nested, into);
    for (const branch of (state['Branches'] as JsonObject[] | undefined) ?? []) collectTaskStates(branch, into);
  }
}
