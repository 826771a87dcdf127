import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { agentTypes, type AgentType } from '../../lambdas/core/task.js';

export interface AgentQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
}

export interface LocalQueues {
  readonly endpoint: string;
  readonly client: SQSClient;
  readonly queues: Readonly<Record<AgentType, AgentQueue>>;
  send(queueUrl: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalQueueOptions {
  /** Seconds a received message stays invisible; as on AWS, at least the worker's timeout. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/**
 * fauxqs (a real SQS endpoint in process) with one queue and one dead-letter
 * queue per agent type, configured like the CDK Queues construct.
 */
export async function startLocalQueues(options: LocalQueueOptions): Promise<LocalQueues> {
  const server: FauxqsServer = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
  const queues = {} as Record<AgentType, AgentQueue>;
  for (const agentType of agentTypes) {
    const dlq = await client.send(new CreateQueueCommand({ QueueName: `dsf-${agentType}-dlq`, Attributes: { MessageRetentionPeriod: '1209600' } }));
    const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'];
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: `dsf-${agentType}`,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
        },
      }),
    );
    const arn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'];
    queues[agentType] = { url: queue.QueueUrl!, arn: arn!, dlqUrl: dlq.QueueUrl! };
  }
  return {
    endpoint,
    client,
    queues,
    send: async (queueUrl, body) => {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    },
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
}
