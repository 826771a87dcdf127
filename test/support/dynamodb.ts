import { inject } from 'vitest';
import { createDocumentClient, ensureTable } from '../../lambdas/adapters/dynamodb/dynamodb-client.js';

let counter = 0;

/** A fresh table on the run's shared DynamoDB Local, so tests never see each other's items. */
export async function freshTable(prefix = 'test') {
  const client = createDocumentClient({ endpoint: inject('dynamoDbEndpoint') });
  const tableName = `${prefix}-${process.pid}-${Date.now()}-${counter++}`;
  await ensureTable(client, tableName);
  return { client, tableName };
}
