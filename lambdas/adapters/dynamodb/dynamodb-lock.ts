import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../ports/clock.js';
import { withLeasedLock, type LeaseStore, type Lock, type LockOptions } from '../../ports/lock.js';
import { keys, tableDesign } from './table-design.js';

/** TTL only tidies the table (it lags by up to days); the lease itself is `leaseUntil`, checked on every take. */
const TTL_SLACK_SECONDS = 3600;

/**
 * Lock as one item per name, `LOCK#<name>`: taken by a conditional put that
 * succeeds when there is no item or its lease has run out, released by a delete
 * conditional on still being its owner, so a holder whose lease was taken over
 * cannot free the new holder's lock.
 */
export class DynamoDbLock implements Lock, LeaseStore {
  constructor(private readonly deps: { client: DynamoDBDocumentClient; tableName: string; clock: Clock }) {}

  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
    return withLeasedLock(this, name, ttlMs, fn, options);
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.deps.clock.now().getTime();
    const leaseUntil = now + ttlMs;
    try {
      await this.deps.client.send(
        new PutCommand({
          TableName: this.deps.tableName,
          Item: {
            ...keys.lock(name),
            owner,
            leaseUntil,
            [tableDesign.ttlAttribute]: Math.ceil(leaseUntil / 1000) + TTL_SLACK_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(PK) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(name: string, owner: string): Promise<void> {
    try {
      await this.deps.client.send(
        new DeleteCommand({
          TableName: this.deps.tableName,
          Key: keys.lock(name),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Our lease expired and someone else holds the lock now: theirs to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
