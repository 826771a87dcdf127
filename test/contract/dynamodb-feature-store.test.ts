import { afterAll } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFeatureStore } from '../../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { ids, ManualClock } from '../support/fixtures.js';
import { freshTable } from '../support/dynamodb.js';
import { describeFeatureStoreContract } from './feature-store.contract.js';

const clients: DynamoDBDocumentClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

describeFeatureStoreContract('DynamoDB Local', async () => {
  const clock = new ManualClock();
  const { client, tableName } = await freshTable('store');
  clients.push(client);
  return { clock, store: new DynamoDbFeatureStore({ client, tableName, clock, ids }) };
});
