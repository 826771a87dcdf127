import { afterAll } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLock } from '../../lambdas/adapters/dynamodb/dynamodb-lock.js';
import { ManualClock } from '../support/fixtures.js';
import { freshTable } from '../support/dynamodb.js';
import { describeLockContract } from './lock.contract.js';

const clients: DynamoDBDocumentClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

describeLockContract('DynamoDB Local', async () => {
  const clock = new ManualClock();
  const { client, tableName } = await freshTable('lock');
  clients.push(client);
  return { clock, lock: new DynamoDbLock({ client, tableName, clock }) };
});
