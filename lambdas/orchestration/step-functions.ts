import { z } from 'zod';
import {
  awaitDependencies,
  awaitDependenciesInputSchema,
  featureRefSchema,
  gateInputSchema,
  gateStep,
  markTaskFailed,
  markTaskFailedInputSchema,
  planStep,
  pullRequestStep,
  recordFailure,
  recordFailureInputSchema,
  type OrchestrationDeps,
} from '../use-cases/orchestration.js';

/** A state machine Lambda: the state's Payload in, a small JSON result out. */
export type StepHandler = (payload: unknown) => Promise<unknown>;

/** The payload crossed a boundary: parse it, and fail the state with a clear error if it does not fit. */
function parse<S extends z.ZodType>(schema: S, payload: unknown, step: string): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const error = new Error(`${step} got an invalid payload: ${z.prettifyError(parsed.error)}`);
    error.name = 'DSF.InvalidPayload';
    throw error;
  }
  return parsed.data;
}

export interface StepFunctionDefinition {
  /** The `${Substitution}` in statemachines/feature.asl.json that names this function. */
  readonly substitution: string;
  /** Folder of the Lambda entry under lambdas/. */
  readonly entry: string;
  readonly create: (deps: OrchestrationDeps) => StepHandler;
}

/** Every function the state machine invokes, in one table shared by the local runtime and the CDK stack. */
const definitions: readonly StepFunctionDefinition[] = [
  {
    substitution: 'PlanFunctionArn',
    entry: 'plan-feature',
    create: (deps) => async (payload) => planStep(deps, parse(featureRefSchema, payload, 'Plan').featureId),
  },
  {
    substitution: 'AwaitDependenciesFunctionArn',
    entry: 'await-dependencies',
    create: (deps) => async (payload) => {
      await awaitDependencies(deps, parse(awaitDependenciesInputSchema, payload, 'AwaitDependencies'));
      return {};
    },
  },
  {
    substitution: 'MarkTaskFailedFunctionArn',
    entry: 'mark-task-failed',
    create: (deps) => async (payload) => {
      await markTaskFailed(deps, parse(markTaskFailedInputSchema, payload, 'MarkTaskFailed'));
      return {};
    },
  },
  {
    substitution: 'GateFunctionArn',
    entry: 'gate-feature',
    create: (deps) => async (payload) => gateStep(deps, parse(gateInputSchema, payload, 'Gate')),
  },
  {
    substitution: 'PullRequestFunctionArn',
    entry: 'open-pull-request',
    create: (deps) => async (payload) => {
      await pullRequestStep(deps, parse(featureRefSchema, payload, 'PullRequest').featureId);
      return {};
    },
  },
  {
    substitution: 'RecordFailureFunctionArn',
    entry: 'record-failure',
    create: (deps) => async (payload) => {
      await recordFailure(deps, parse(recordFailureInputSchema, payload, 'RecordFailure'));
      return {};
    },
  },
];

/** Each step flushes its metrics once per invocation, whatever the outcome. */
export const stepFunctions: readonly StepFunctionDefinition[] = definitions.map((definition) => ({
  ...definition,
  create: (deps) => {
    const handle = definition.create(deps);
    return async (payload) => {
      try {
        return await handle(payload);
      } finally {
        deps.metrics?.flush();
      }
    };
  },
}));
