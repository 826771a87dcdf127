import { afterAll } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbPullRequestStore } from '../../lambdas/adapters/dynamodb/dynamodb-pull-request-store.js';
import { ids, ManualClock } from '../support/fixtures.js';
import { freshTable } from '../support/dynamodb.js';
import { describePullRequestStoreContract } from './pull-request-store.contract.js';

const clients: DynamoDBDocumentClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

// One table for the file: each test works in a repository of its own.
let table: ReturnType<typeof freshTable> | undefined;

describePullRequestStoreContract('DynamoDB Local', async () => {
  const clock = new ManualClock();
  table ??= freshTable('pulls').then((made) => (clients.push(made.client), made));
  const { client, tableName } = await table;
  return { clock, store: new DynamoDbPullRequestStore({ client, tableName, clock, ids }) };
});
