import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { agentTypes, type AgentType } from '../lambdas/core/task.js';
import { pascalCase } from './construct-ids.js';

export interface QueuesProps {
  /** Timeout of the worker functions that consume the queues. */
  readonly workerTimeout: Duration;
  /** Receives before a message moves to the dead-letter queue. @default 3 */
  readonly maxReceiveCount?: number;
}

export interface AgentQueue {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * AWS's guidance for Lambda SQS event sources: a visibility timeout of at least
 * six times the function timeout, so a message is not handed to a second
 * worker while retries of a throttled or failed batch are still running.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * One queue and dead-letter queue per agent type: TLS only, SQS-managed
 * encryption, redrive after `maxReceiveCount` receives. A message is only a
 * pointer (feature id, task id, task token), so a dead letter loses nothing
 * the store does not hold.
 */
export class Queues extends Construct {
  readonly byAgentType: Readonly<Record<AgentType, AgentQueue>>;
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 3;
    const visibilityTimeout = Duration.seconds(props.workerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    const entries = agentTypes.map((agentType): [AgentType, AgentQueue] => {
      const prefix = pascalCase(agentType);
      const deadLetterQueue = new sqs.Queue(this, `${prefix}DeadLetterQueue`, {
        enforceSSL: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        retentionPeriod: Duration.days(14),
      });
      const queue = new sqs.Queue(this, `${prefix}Queue`, {
        enforceSSL: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        visibilityTimeout,
        // A task token lives at most the Dispatch state's TimeoutSeconds (an hour); older messages are stale anyway.
        retentionPeriod: Duration.days(1),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      });
      return [agentType, { queue, deadLetterQueue }];
    });
    this.byAgentType = Object.fromEntries(entries) as Record<AgentType, AgentQueue>;
  }

  get all(): readonly AgentQueue[] {
    return agentTypes.map((agentType) => this.byAgentType[agentType]);
  }
}
