import { Duration, IgnoreMode, RemovalPolicy, Size } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { agentTypes, type AgentType } from '../lambdas/core/task.js';
import { repoRoot } from './bundling.js';
import { pascalCase } from './construct-ids.js';
import { allowTaskTokenCallbacks, DsfFunction } from './dsf-function.js';
import { grantModelUse, type ModelAccess } from './models.js';
import type { Queues } from './queues.js';
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

export interface AgentsProps {
  readonly storage: Storage;
  readonly queues: Queues;
  /** The configured models and their key secrets (lib/models.ts). */
  readonly models: ModelAccess;
  readonly concurrency: Readonly<Record<AgentType, number>>;
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
        grantModelUse(worker, props.models);
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
