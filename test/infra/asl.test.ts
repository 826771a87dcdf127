import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentTypes } from '../../lambdas/core/task.js';

const aslPath = new URL('../../statemachines/feature.asl.json', import.meta.url);
const aslText = readFileSync(aslPath, 'utf8');

// asl-validator ships CommonJS without type declarations.
const aslValidatorSchema = z.function({
  input: [z.unknown()],
  output: z.object({ isValid: z.boolean(), errorsText: z.function({ input: [z.string()], output: z.string() }) }),
});
const validateAsl = aslValidatorSchema.implement(createRequire(import.meta.url)('asl-validator'));

const retrierSchema = z.looseObject({
  ErrorEquals: z.array(z.string()).min(1),
  MaxAttempts: z.number().int().optional(),
  BackoffRate: z.number().optional(),
});
const catcherSchema = z.looseObject({ ErrorEquals: z.array(z.string()).min(1), Next: z.string() });
const comparisonSchema = z.looseObject({ Variable: z.string().optional(), StringEquals: z.string().optional(), IsPresent: z.boolean().optional() });
const choiceRuleSchema = comparisonSchema.extend({ Next: z.string(), And: z.array(comparisonSchema).optional() });

/** The string comparison of a rule, whether bare or guarded as And[IsPresent, StringEquals]. */
function comparisonOf(rule: z.infer<typeof choiceRuleSchema>) {
  const parts = rule.And ?? [rule];
  const comparison = parts.find((part) => part.StringEquals !== undefined);
  const guarded = parts.some((part) => part.IsPresent === true && part.Variable === comparison?.Variable);
  return { variable: comparison?.Variable, value: comparison?.StringEquals, guarded };
}

interface State {
  Type: string;
  Next?: string | undefined;
  End?: boolean | undefined;
  Default?: string | undefined;
  Resource?: string | undefined;
  Parameters?: Record<string, unknown> | undefined;
  HeartbeatSeconds?: number | undefined;
  TimeoutSeconds?: number | undefined;
  Retry?: z.infer<typeof retrierSchema>[] | undefined;
  Catch?: z.infer<typeof catcherSchema>[] | undefined;
  Choices?: z.infer<typeof choiceRuleSchema>[] | undefined;
  ItemSelector?: Record<string, unknown> | undefined;
  MaxConcurrency?: number | undefined;
  ItemProcessor?: StateMachine | undefined;
  QueryLanguage?: string | undefined;
}
interface StateMachine {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage?: string | undefined;
}

const stateSchema: z.ZodType<State> = z.looseObject({
  Type: z.enum(['Task', 'Pass', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map']),
  Next: z.string().optional(),
  End: z.boolean().optional(),
  Default: z.string().optional(),
  Resource: z.string().optional(),
  Parameters: z.record(z.string(), z.unknown()).optional(),
  HeartbeatSeconds: z.number().int().optional(),
  TimeoutSeconds: z.number().int().optional(),
  Retry: z.array(retrierSchema).optional(),
  Catch: z.array(catcherSchema).optional(),
  Choices: z.array(choiceRuleSchema).optional(),
  ItemSelector: z.record(z.string(), z.unknown()).optional(),
  MaxConcurrency: z.number().int().optional(),
  get ItemProcessor() {
    return stateMachineSchema.optional();
  },
  QueryLanguage: z.string().optional(),
});
const stateMachineSchema: z.ZodType<StateMachine> = z.looseObject({
  StartAt: z.string(),
  States: z.record(z.string(), stateSchema),
  QueryLanguage: z.string().optional(),
});

const definition = stateMachineSchema.parse(JSON.parse(aslText));

interface ScopedState {
  readonly name: string;
  readonly state: State;
  readonly scope: StateMachine;
}

/** Every state of the machine, the Map's item processor included, with the machine it belongs to. */
const allStates = (machine: StateMachine): ScopedState[] =>
  Object.entries(machine.States).flatMap(([name, state]) => [
    { name, state, scope: machine },
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
  ]);

const scopes = (machine: StateMachine): StateMachine[] => [
  machine,
  ...Object.values(machine.States).flatMap((state) => (state.ItemProcessor ? scopes(state.ItemProcessor) : [])),
];

const transitions = (state: State): string[] => [
  ...(state.Next ? [state.Next] : []),
  ...(state.Default ? [state.Default] : []),
  ...(state.Choices ?? []).map((rule) => rule.Next),
  ...(state.Catch ?? []).map((catcher) => catcher.Next),
];

const isTerminal = (state: State): boolean => state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true;

const reachableFrom = (machine: StateMachine, start: string, edges: (name: string) => string[]): Set<string> => {
  const seen = new Set<string>([start]);
  const pending = [start];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    for (const next of edges(name)) {
      if (!seen.has(next) && next in machine.States) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return seen;
};

const tasks = allStates(definition).filter(({ state }) => state.Type === 'Task');
const lambdaTasks = tasks.filter(({ state }) => state.Resource?.startsWith('arn:aws:states:::lambda:invoke'));
const sqsCallbackTasks = tasks.filter(({ state }) => state.Resource === 'arn:aws:states:::sqs:sendMessage.waitForTaskToken');
const maps = allStates(definition).filter(({ state }) => state.Type === 'Map');

describe('feature.asl.json', () => {
  it('passes asl-validator as stored, placeholders and all', () => {
    // The validator writes a default QueryLanguage into every state it visits.
    const result = validateAsl(structuredClone(JSON.parse(aslText)));

    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('holds exactly the placeholders the CDK stack substitutes', () => {
    const placeholders = new Set([...aslText.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]));

    expect([...placeholders].sort()).toEqual(
      [
        'PlanFunctionArn',
        'AwaitDependenciesFunctionArn',
        'MarkTaskFailedFunctionArn',
        'GateFunctionArn',
        'PullRequestFunctionArn',
        'RecordFailureFunctionArn',
        'CodeQueueUrl',
        'TestQueueUrl',
        'ReviewQueueUrl',
        'ConflictQueueUrl',
      ].sort(),
    );
  });

  it('is written in JSONPath only', () => {
    expect(aslText).not.toMatch(/JSONata/i);
    for (const scope of scopes(definition)) expect(scope.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const { name, state } of allStates(definition)) expect({ name, queryLanguage: state.QueryLanguage ?? 'JSONPath' }).toEqual({ name, queryLanguage: 'JSONPath' });
  });

  it('catches States.ALL on every Task, so every failure ends in a recorded status', () => {
    expect(tasks.length).toBeGreaterThan(0);
    for (const { name, state } of tasks) {
      expect({ name, catchesAll: state.Catch?.some((catcher) => catcher.ErrorEquals.includes('States.ALL')) }).toEqual({ name, catchesAll: true });
    }
  });

  it('retries Lambda service errors with backoff on every Lambda Task', () => {
    const serviceErrors = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
    expect(lambdaTasks.map(({ name }) => name).sort()).toEqual(['AwaitDependencies', 'Gate', 'MarkTaskFailed', 'Plan', 'PullRequest', 'RecordFailure']);

    for (const { name, state } of lambdaTasks) {
      const retrier = state.Retry?.find((candidate) => serviceErrors.every((error) => candidate.ErrorEquals.includes(error)));
      expect({ name, retrier }).toEqual({
        name,
        retrier: expect.objectContaining({ MaxAttempts: expect.any(Number), BackoffRate: expect.any(Number) }),
      });
      expect(retrier!.MaxAttempts).toBeGreaterThanOrEqual(1);
      expect(retrier!.BackoffRate).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives every agent dispatch a heartbeat shorter than its timeout and retries lost or retryable agents', () => {
    expect(sqsCallbackTasks.length).toBe(agentTypes.length);

    for (const { name, state } of sqsCallbackTasks) {
      expect({ name, heartbeat: state.HeartbeatSeconds, timeout: state.TimeoutSeconds }).toEqual({
        name,
        heartbeat: expect.any(Number),
        timeout: expect.any(Number),
      });
      expect(state.HeartbeatSeconds!).toBeLessThan(state.TimeoutSeconds!);
      for (const error of ['States.HeartbeatTimeout', 'States.Timeout', 'Agent.Retryable']) {
        const retrier = state.Retry?.find((candidate) => candidate.ErrorEquals.includes(error));
        expect({ name, error, maxAttempts: retrier?.MaxAttempts }).toEqual({ name, error, maxAttempts: expect.any(Number) });
        expect(retrier!.MaxAttempts).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('passes only ids and the plan-time release into each Map iteration, run as Standard children so every task can wait at once', () => {
    expect(maps.map(({ name }) => name)).toEqual(['RunTasks']);
    const { state } = maps[0]!;

    expect(Object.keys(state.ItemSelector ?? {}).sort()).toEqual(['featureId.$', 'release.$', 'taskId.$']);
    // Only a root the Plan step released skips the wait; an item without a release registers and waits.
    const released = allStates(definition).find(({ name }) => name === 'Released')!.state;
    expect((state.ItemProcessor as { StartAt?: string }).StartAt).toBe('Released');
    expect(released.Choices?.map((rule) => ({ ...comparisonOf(rule), next: rule.Next }))).toEqual([
      { variable: '$.release.action', value: 'run', guarded: true, next: 'RouteTask' },
    ]);
    expect(released.Default).toBe('AwaitDependencies');
    // Inline Maps run at most 40 iterations; a waiting iteration holds its place, so larger plans
    // would starve free agents. Distributed Map children must be STANDARD to wait for task tokens.
    expect((state.ItemProcessor as { ProcessorConfig?: unknown } | undefined)?.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(state.MaxConcurrency).toBeGreaterThanOrEqual(500);
    expect(state.MaxConcurrency).toBeLessThanOrEqual(10_000);
  });

  it('routes every agent type to a dispatch on its own queue', () => {
    const routeTask = allStates(definition).find(({ name }) => name === 'RouteTask');
    expect(routeTask?.state.Type).toBe('Choice');
    const rules = routeTask!.state.Choices ?? [];
    // An absent field must fall through to Default, not fail the execution with an uncatchable States.Runtime.
    expect(rules.map((rule) => comparisonOf(rule).guarded)).toEqual(rules.map(() => true));
    const routes = rules.filter((rule) => comparisonOf(rule).variable === '$.release.agentType');

    expect(routes.map((rule) => comparisonOf(rule).value).sort()).toEqual([...agentTypes].sort());
    for (const rule of routes) {
      const value = comparisonOf(rule).value!;
      const target = routeTask!.scope.States[rule.Next];
      const queue = `\${${value[0]!.toUpperCase()}${value.slice(1)}QueueUrl}`;
      expect({ route: value, resource: target?.Resource, queue: target?.Parameters?.QueueUrl }).toEqual({
        route: value,
        resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        queue,
      });
    }
  });

  it('transitions only to states that exist in the same scope', () => {
    for (const scope of scopes(definition)) {
      expect(scope.States[scope.StartAt]).toBeDefined();
      for (const [name, state] of Object.entries(scope.States)) {
        for (const next of transitions(state)) expect({ from: name, to: next, exists: next in scope.States }).toEqual({ from: name, to: next, exists: true });
      }
    }
  });

  it('reaches every state from StartAt', () => {
    for (const scope of scopes(definition)) {
      const reachable = reachableFrom(scope, scope.StartAt, (name) => transitions(scope.States[name]!));

      expect(Object.keys(scope.States).filter((name) => !reachable.has(name))).toEqual([]);
    }
  });

  it('ends every path in Succeed, Fail or End, with no state that can only loop', () => {
    for (const scope of scopes(definition)) {
      for (const [name, state] of Object.entries(scope.States)) {
        const ends = isTerminal(state);
        const moves = transitions(state).length > 0;
        expect({ name, endsOrMoves: ends !== moves }).toEqual({ name, endsOrMoves: true });
        if (state.Type === 'Choice') expect({ name, default: state.Default }).toEqual({ name, default: expect.any(String) });
      }
      const terminals = Object.keys(scope.States).filter((name) => isTerminal(scope.States[name]!));
      const predecessors = (target: string): string[] =>
        Object.entries(scope.States)
          .filter(([, state]) => transitions(state).includes(target))
          .map(([name]) => name);
      const canFinish = new Set(terminals.flatMap((terminal) => [...reachableFrom(scope, terminal, predecessors)]));

      expect(Object.keys(scope.States).filter((name) => !canFinish.has(name))).toEqual([]);
    }
  });
});
