import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runTask, taskMessageSchema, UnprocessableMessageError, type WorkerDeps } from '../use-cases/run-task.js';

/**
 * The agent worker, an SQS-event Lambda handler (batch size 1 in practice).
 * Failures are reported per record: SQS redelivers them after the visibility
 * timeout, and the redrive policy moves a message that keeps failing — one that
 * does not parse, or names nothing — to the dead-letter queue, where the DLQ
 * alarm makes a person look at it.
 */
export function createAgentWorkerHandler(deps: WorkerDeps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const message = taskMessageSchema.safeParse(body);
      if (!message.success) {
        deps.logger.error('unreadable task message', { messageId: record.messageId, receiveCount });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const { featureId, taskId } = message.data;
      try {
        const outcome = await runTask(deps, message.data);
        deps.logger.debug('task message handled', { featureId, taskId, outcome, receiveCount });
      } catch (error) {
        const level = error instanceof UnprocessableMessageError ? 'error' : 'warn';
        deps.logger[level]('task message failed', { featureId, taskId, receiveCount, error: error as Error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    deps.metrics?.flush();
    return { batchItemFailures };
  };
}
