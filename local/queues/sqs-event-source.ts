import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AppLogger } from '../../lambdas/ports/logger.js';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface SqsEventSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** Messages per invocation (the CDK event source uses 1). */
  readonly batchSize: number;
  /** Concurrent invocations at most, like an event source mapping's maximum concurrency. */
  readonly maxConcurrency: number;
  readonly logger: AppLogger;
  /** Long-poll wait; short so that stop() is prompt. */
  readonly waitTimeSeconds?: number;
}

/**
 * Behaves like a Lambda SQS event source mapping with ReportBatchItemFailures:
 * up to `maxConcurrency` invocations at once, each with up to `batchSize`
 * records; records not reported as failures are deleted; failed ones stay and
 * come back after the visibility timeout, until the queue's redrive policy
 * moves them to the dead-letter queue.
 */
export class SqsEventSource {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  /** Deletes still under way; stop() waits for them, so a stopped source leaves no handled message behind. */
  private readonly deletions = new Set<Promise<void>>();

  constructor(private readonly options: SqsEventSourceOptions) {}

  start(): void {
    this.loops = Array.from({ length: this.options.maxConcurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    await Promise.allSettled(this.deletions);
  }

  private async loop(): Promise<void> {
    const { client, queueUrl, batchSize, logger } = this.options;
    while (!this.abort.signal.aborted) {
      let messages: Message[];
      try {
        const received = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: this.options.waitTimeSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (this.abort.signal.aborted) return;
        logger.warn('receive failed', { queueUrl, error: error as Error });
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (messages.length === 0) continue;
      const records = messages.map((message) => this.toRecord(message));
      let failed: Set<string>;
      try {
        const response = await this.options.handler({ Records: records });
        failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      } catch (error) {
        // A thrown invocation fails the whole batch, as on AWS.
        logger.error('worker invocation failed', { queueUrl, error: error as Error });
        failed = new Set(records.map((record) => record.messageId));
      }
      const done = messages.filter((message) => !failed.has(message.MessageId!));
      // The next receive does not wait for the delete, as a mapping's next invocation does not:
      // the slot goes back to work one round trip sooner.
      if (done.length > 0) this.track(this.delete(done));
    }
  }

  private async delete(messages: Message[]): Promise<void> {
    const { client, queueUrl, logger } = this.options;
    await client
      .send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      )
      .catch((error: unknown) => logger.warn('delete failed; the messages will be redelivered', { queueUrl, error: error as Error }));
  }

  private track(deletion: Promise<void>): void {
    this.deletions.add(deletion);
    void deletion.finally(() => this.deletions.delete(deletion));
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes['ApproximateReceiveCount'] ?? '1',
        SentTimestamp: attributes['SentTimestamp'] ?? String(Date.now()),
        SenderId: attributes['SenderId'] ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes['ApproximateFirstReceiveTimestamp'] ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: 'us-east-1',
    };
  }
}
