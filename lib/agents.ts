import { Duration, IgnoreMode, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { agentTypes, type AgentType } from '../lambdas/core/task.js';
import { repoRoot } from './bundling.js';
import { modelsOf, type DsfConfig } from './config.js';
import { pascalCase } from './construct-ids.js';
import { allowTaskTokenCallbacks, DsfFunction } from './dsf-function.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';
import type { Queues } from './queues.js';
import type { Secrets } from './secrets.js';
import { serviceNames } from './service-names.js';
import type { Storage } from './storage.js';

/** The Dockerfile of the worker image, relative to its build context (the repository root). */
export const workerDockerfile = 'docker/agent-worker/Dockerfile';

/**
 * The build context is the repository root, but the image build reads only
 * these paths; everything else (node_modules, .dsf, coverage, cdk.out, .git,
 * tests) stays out of the staged asset and out of its hash.
 */
export const workerImageContext = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!lambdas',
  '!lib',
  'lib/*',
  '!lib/bundling.ts',
  '!lib/bundle-handler.ts',
  '!docker',
  'docker/*',
  '!docker/agent-worker',
  'docker/agent-worker/*',
  `!${workerDockerfile}`,
] as const;

/** SQS event sources scale between 2 and 1000 concurrent invocations. */
const MIN_EVENT_SOURCE_CONCURRENCY = 2;

/** Cross-region inference profiles (`us.anthropic…`) route to the same foundation model in other regions. */
const inferenceProfilePattern = /^(us|eu|apac|us-gov|jp|au|ca|global)\.(.+)$/;

export interface AgentsProps {
  readonly storage: Storage;
  readonly queues: Queues;
  readonly secrets: Secrets;
  readonly concurrency: Readonly<Record<AgentType, number>>;
  readonly model: DsfConfig['model'];
  /** The orchestration variables of lambdas/config.ts shared with the state machine's functions. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One worker function per agent type, all from one container image (agents need
 * git and node at run time), each consuming its own queue: batch size 1,
 * partial batch failures, maximum concurrency from the configuration. Separate
 * functions rather than one with four event sources, so each agent type gets
 * its own concurrency, errors, throttles and duration in CloudWatch, and a
 * runaway agent of one type cannot starve the others.
 */
export class Agents extends Construct {
  readonly workers: Readonly<Record<AgentType, DsfFunction>>;
  readonly image: lambda.DockerImageCode;

  constructor(scope: Construct, id: string, props: AgentsProps) {
    super(scope, id);
    this.image = lambda.DockerImageCode.fromImageAsset(repoRoot, {
      file: workerDockerfile,
      platform: Platform.LINUX_ARM64,
      ignoreMode: IgnoreMode.DOCKER,
      exclude: [...workerImageContext],
    });
    const bedrockModels = [...new Set(modelsOf(props.model).filter((model) => model.provider === 'bedrock').map((model) => model.id))];
    const modelStatements = bedrockModels.flatMap((modelId) => bedrockInvokeStatements(this, modelId));
    const modelEnvironment = modelEnvironmentOf(props.model);

    this.workers = Object.fromEntries(
      agentTypes.map((agentType) => {
        const { queue } = props.queues.byAgentType[agentType];
        const worker = new DsfFunction(this, `${pascalCase(agentType)}Worker`, {
          code: { image: this.image },
          description: `DSF ${agentType} agent worker (consumes the ${agentType} queue)`,
          serviceName: serviceNames.agentWorker,
          environment: {
            ...props.environment,
            ...props.storage.transcriptEnvironment,
            DSF_AGENT_TYPE: agentType,
            ...modelEnvironment,
            ...props.secrets.modelKeyEnvironment,
          },
          timeout: props.timeout,
          memorySize: 2048,
          // Repositories are cloned into /tmp.
          ephemeralStorageSize: Size.gibibytes(4),
          logRetention: props.logRetention,
          removalPolicy: props.removalPolicy,
        });
        props.storage.grantReadWriteData(worker.role);
        props.storage.grantTranscriptWrite(worker.role);
        allowTaskTokenCallbacks(worker, ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']);
        props.secrets.grantModelKeysRead(worker);
        for (const statement of modelStatements) worker.role.addToPrincipalPolicy(statement);
        acknowledgeBedrockWildcards(worker, modelStatements);
        worker.function.addEventSource(
          new SqsEventSource(queue, {
            batchSize: 1,
            reportBatchItemFailures: true,
            // The scheduler admits at most concurrency[type] tasks at once; the event source cannot go below 2.
            maxConcurrency: Math.max(MIN_EVENT_SOURCE_CONCURRENCY, props.concurrency[agentType]),
          }),
        );
        return [agentType, worker];
      }),
    ) as Record<AgentType, DsfFunction>;
  }
}

/** The variables lambdas/adapters/models/select-provider.ts reads: DSF_MODEL, DSF_MODEL_<ROLE>, budgets, prices. */
export function modelEnvironmentOf(model: DsfConfig['model']): Record<string, string> {
  return {
    DSF_MODEL: `${model.provider}:${model.id}`,
    ...Object.fromEntries(Object.entries(model.roles ?? {}).map(([role, spec]) => [`DSF_MODEL_${role.toUpperCase()}`, `${spec.provider}:${spec.id}`])),
    ...(model.openaiBaseUrl ? { OPENAI_BASE_URL: model.openaiBaseUrl } : {}),
    ...(model.budgetTask ? { DSF_BUDGET_TASK: model.budgetTask } : {}),
    ...(model.budgetFeature ? { DSF_BUDGET_FEATURE: model.budgetFeature } : {}),
    ...(model.prices ? { DSF_MODEL_PRICES: model.prices } : {}),
  };
}

/**
 * bedrock:InvokeModel also authorizes Converse, InvokeModelWithResponseStream
 * also ConverseStream. A plain model id is one ARN in this region; an inference
 * profile needs the profile and the model in every region the profile routes
 * to, and the condition keeps the latter usable through this profile only.
 */
function bedrockInvokeStatements(scope: Construct, modelId: string): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const actions = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
  const profile = inferenceProfilePattern.exec(modelId);
  if (!profile) {
    return [new iam.PolicyStatement({ actions, resources: [`arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${modelId}`] })];
  }
  const profileArn = `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${modelId}`;
  return [
    new iam.PolicyStatement({ actions, resources: [profileArn] }),
    new iam.PolicyStatement({
      actions,
      resources: [`arn:${stack.partition}:bedrock:*::foundation-model/${profile[2]}`],
      conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
    }),
  ];
}

function acknowledgeBedrockWildcards(worker: DsfFunction, statements: readonly iam.PolicyStatement[]): void {
  for (const resource of statements.flatMap((statement) => statement.resources).filter((arn) => arn.includes(':bedrock:*:'))) {
    acknowledge(
      worker,
      wildcardResourceFinding(worker, resource),
      'A cross-region inference profile sends requests to the same foundation model in any region of its geography; the statement is conditioned on bedrock:InferenceProfileArn, so the model is usable only through the configured profile.',
    );
  }
}
