import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { z } from 'zod';
import { agentTypes } from '../lambdas/core/task.js';
import { stepFunctions } from '../lambdas/orchestration/step-functions.js';
import { executionNameForFeature } from '../lambdas/ports/workflow.js';
import { repoRoot } from './bundling.js';
import { pascalCase } from './construct-ids.js';
import { allowTaskTokenCallbacks, DsfFunction } from './dsf-function.js';
import { grantModelUse, type ModelAccess } from './models.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';
import type { Queues } from './queues.js';
import { serviceNames } from './service-names.js';
import type { Storage } from './storage.js';

export const featureDefinitionFile = path.join(repoRoot, 'statemachines', 'feature.asl.json');

/**
 * The map run labels of the definition's Distributed Map states (`*` for one
 * without a Label). Their iterations run as child executions, which the state
 * machine's own role starts, describes, stops and redrives.
 */
export function distributedMapLabels(definition: unknown): string[] {
  const labels: string[] = [];
  const visit = (machine: unknown) => {
    for (const candidate of Object.values(machineSchema.parse(machine).States ?? {})) {
      const state = mapStateSchema.safeParse(candidate);
      if (!state.success || state.data.Type !== 'Map') continue;
      if (state.data.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED') labels.push(state.data.Label ?? '*');
      if (state.data.ItemProcessor) visit(state.data.ItemProcessor);
    }
  };
  visit(definition);
  return labels;
}

const machineSchema = z.looseObject({ States: z.record(z.string(), z.unknown()).optional() });
const mapStateSchema = z.looseObject({
  Type: z.string(),
  Label: z.string().optional(),
  ItemProcessor: z.looseObject({ ProcessorConfig: z.looseObject({ Mode: z.string().optional() }).optional() }).optional(),
});

/** `${Name}` placeholders of an ASL text, in order of first appearance. */
export const definitionPlaceholders = (definition: string): string[] => [...new Set([...definition.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]!))];

/** The `${…QueueUrl}` placeholder of an agent type's Dispatch state. */
export const queueUrlPlaceholder = (agentType: string): string => `${pascalCase(agentType)}QueueUrl`;

/**
 * What each state machine function may do besides reading and writing the
 * table. AwaitDependencies and MarkTaskFailed run the scheduler pass, which
 * releases the waiting tasks it admits (SendTaskSuccess on their tokens). Plan
 * calls the planner model (lambdas/aws-plan-deps.ts) and writes its turns to the
 * feature's transcript, as the agent workers do.
 * A function missing here fails synthesis, so a new step gets a decision.
 */
const stepRights: Readonly<Record<string, { readonly releasesTaskTokens: boolean; readonly callsModels: boolean; readonly timeout: Duration }>> = {
  // The planner gives its one model call two minutes (lambdas/agents/model-planner.ts) before it plans by heuristic;
  // the rest is for the cold start, the secret read, storing the plan and the issue comment.
  'plan-feature': { releasesTaskTokens: false, callsModels: true, timeout: Duration.minutes(3) },
  'await-dependencies': { releasesTaskTokens: true, callsModels: false, timeout: Duration.seconds(60) },
  'mark-task-failed': { releasesTaskTokens: true, callsModels: false, timeout: Duration.seconds(60) },
  'gate-feature': { releasesTaskTokens: false, callsModels: false, timeout: Duration.seconds(60) },
  'open-pull-request': { releasesTaskTokens: false, callsModels: false, timeout: Duration.seconds(60) },
  'record-failure': { releasesTaskTokens: false, callsModels: false, timeout: Duration.seconds(30) },
};

/** The steps that call a model; the others get neither the model settings nor the keys. */
export const modelSteps = Object.entries(stepRights)
  .filter(([, rights]) => rights.callsModels)
  .map(([entry]) => entry);

/**
 * The steps that call GitHub when a GitHub App is configured: they report on the
 * feature's issue (planned, needs a person, failed) or open its pull request
 * (lambdas/use-cases/orchestration.ts: planStep, gateStep, pullRequestStep,
 * recordFailure). The others never do, so they get neither the key nor its settings.
 */
export const gitHubSteps = ['plan-feature', 'gate-feature', 'open-pull-request', 'record-failure'] as const;

/** Feature executions are named `feature-<id>` (lambdas/ports/workflow.ts). */
export const featureExecutionPrefix = executionNameForFeature('');

/** Execution statuses the state machine's own Catch cannot record (e.g. States.Runtime, a timeout of the whole execution). */
export const unrecordedEndStatuses = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface OrchestratorProps {
  readonly stage: string;
  readonly storage: Storage;
  readonly queues: Queues;
  /** The configured models and their key secrets, for the steps that call a model (lib/models.ts). */
  readonly models: ModelAccess;
  /** The orchestration variables of lambdas/config.ts (TABLE_NAME, DSF_AGENT_CONCURRENCY, …). */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The feature workflow: statemachines/feature.asl.json as a Standard state
 * machine (logging ALL, X-Ray), the functions its states invoke, and the
 * EventBridge rule that records a feature as failed when its execution ends in
 * a way the definition's own Catch never sees.
 */
export class Orchestrator extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineName: string;
  readonly stepFunctions: Readonly<Record<string, DsfFunction>>;
  readonly logGroup: logs.LogGroup;
  readonly failureRule: events.Rule;
  /** Where EventBridge puts end-of-execution events it could not deliver to RecordFailure. */
  readonly failureEventsDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: OrchestratorProps) {
    super(scope, id);
    this.stateMachineName = `dsf-${props.stage}-feature`;

    const missing = stepFunctions.filter((step) => !(step.entry in stepRights)).map((step) => step.entry);
    if (missing.length > 0) throw new Error(`no rights decided for state machine function(s): ${missing.join(', ')} (lib/orchestrator.ts)`);
    this.stepFunctions = Object.fromEntries(
      stepFunctions.map((step) => {
        const rights = stepRights[step.entry]!;
        const fn = new DsfFunction(this, pascalCase(step.entry), {
          code: { entry: step.entry },
          description: `DSF state machine step ${step.entry} (${step.substitution})`,
          serviceName: serviceNames.orchestrator,
          environment: props.environment,
          timeout: rights.timeout,
          logRetention: props.logRetention,
          removalPolicy: props.removalPolicy,
        });
        props.storage.grantReadWriteData(fn.role);
        if (rights.releasesTaskTokens) allowTaskTokenCallbacks(fn, ['states:SendTaskSuccess']);
        if (rights.callsModels) {
          grantModelUse(fn, props.models);
          for (const [name, value] of Object.entries(props.storage.transcriptEnvironment)) fn.function.addEnvironment(name, value);
          props.storage.grantTranscriptWrite(fn.role);
        }
        return [step.entry, fn];
      }),
    );

    const definition = readFileSync(featureDefinitionFile, 'utf8');
    const definitionSubstitutions: Record<string, string> = {
      ...Object.fromEntries(stepFunctions.map((step) => [step.substitution, this.stepFunctions[step.entry]!.function.functionArn])),
      ...Object.fromEntries(agentTypes.map((agentType) => [queueUrlPlaceholder(agentType), props.queues.byAgentType[agentType].queue.queueUrl])),
    };
    const placeholders = definitionPlaceholders(definition);
    const unfilled = placeholders.filter((name) => !(name in definitionSubstitutions));
    const unused = Object.keys(definitionSubstitutions).filter((name) => !placeholders.includes(name));
    if (unfilled.length > 0 || unused.length > 0) {
      throw new Error(`statemachines/feature.asl.json and the stack disagree: unfilled ${unfilled.join(', ') || '-'}; unused ${unused.join(', ') || '-'}`);
    }

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      // The vendedlogs prefix keeps log delivery off the account's size-limited CloudWatch Logs resource policy.
      logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `DSF ${props.stage}: role of the feature state machine`,
    });
    // Exactly the six functions and four queues the definition names; nothing the definition does not use.
    new iam.Policy(this, 'StateMachineTargets', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: stepFunctions.map((step) => this.stepFunctions[step.entry]!.function.functionArn),
        }),
        new iam.PolicyStatement({
          actions: ['sqs:SendMessage'],
          resources: props.queues.all.map(({ queue }) => queue.queueArn),
        }),
      ],
    });
    const mapLabels = distributedMapLabels(JSON.parse(definition));
    if (mapLabels.length > 0) {
      // Built from the name, not a reference to the state machine, which depends on this role.
      const ownArn = Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: this.stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      const childExecutions = mapLabels.map((label) => this.executionArnsMatching(`${this.stateMachineName}/${label}:*`));
      const childPolicy = new iam.Policy(this, 'DistributedMapChildren', {
        roles: [role],
        statements: [
          new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [ownArn] }),
          new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'], resources: childExecutions }),
        ],
      });
      for (const arn of childExecutions) {
        acknowledge(
          childPolicy,
          wildcardResourceFinding(this, arn),
          `Distributed Map iterations run as child executions with generated names; the grant covers only the children of ${this.stateMachineName}'s map runs.`,
        );
      }
    }
    this.stateMachine = new sfn.StateMachine(this, 'FeatureStateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(featureDefinitionFile),
      definitionSubstitutions,
      role,
      tracingEnabled: true,
      // ALL events, without their data: Dispatch inputs carry task tokens, and a token is a capability.
      // The execution history (kept 90 days) shows inputs and outputs to whoever may DescribeExecution.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    acknowledge(
      role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      'Logging and tracing of the state machine: logs:CreateLogDelivery/GetLogDelivery/UpdateLogDelivery/DeleteLogDelivery/ListLogDeliveries/PutResourcePolicy/DescribeResourcePolicies/DescribeLogGroups and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets support no resource-level permissions.',
    );

    this.failureEventsDeadLetterQueue = new sqs.Queue(this, 'FailureEventsDeadLetterQueue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.failureEventsDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue: the one of the EventBridge target that records failed executions (alarmed on like the agent DLQs).',
    );
    this.failureRule = new events.Rule(this, 'ExecutionEndedUnrecorded', {
      description: `DSF ${props.stage}: an execution of ${this.stateMachineName} failed, timed out or was aborted; record the feature as failed`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        // Only feature executions: the children of a Distributed Map report their own status changes.
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], name: [{ prefix: featureExecutionPrefix }], status: [...unrecordedEndStatuses] },
      },
    });
    this.failureRule.addTarget(
      new targets.LambdaFunction(this.stepFunctions['record-failure']!.function, {
        // Execution names are `feature-<id>`; RecordFailure derives the feature id from the name.
        event: events.RuleTargetInput.fromObject({
          executionName: events.EventField.fromPath('$.detail.name'),
          error: { Error: events.EventField.fromPath('$.detail.status') },
        }),
        deadLetterQueue: this.failureEventsDeadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }

  /** ARN pattern of this state machine's executions (`…:execution:<name>:*`). */
  get executionArns(): string {
    return this.executionArnsMatching(`${this.stateMachineName}:*`);
  }

  private executionArnsMatching(resourceName: string): string {
    return Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** StartExecution, and DescribeExecution to tell a replayed start from a name clash. */
  grantStartExecution(fn: DsfFunction): void {
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }));
    this.grantOnExecutions(fn, ['states:DescribeExecution']);
  }

  /** StopExecution (cancel), and DescribeExecution to tell "already ended" from "still running". */
  grantStopExecution(fn: DsfFunction): void {
    this.grantOnExecutions(fn, ['states:StopExecution', 'states:DescribeExecution']);
  }

  private grantOnExecutions(fn: DsfFunction, actions: string[]): void {
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.executionArns] }));
    acknowledge(
      fn,
      wildcardResourceFinding(this, this.executionArns),
      `Executions are named per feature at run time (feature-<id>); the grant covers only executions of ${this.stateMachineName}.`,
    );
  }
}
