import { afterAll } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbBudgetLedger } from '../../lambdas/adapters/dynamodb/dynamodb-budget-ledger.js';
import { freshTable } from '../support/dynamodb.js';
import { describeBudgetLedgerContract } from './budget-ledger.contract.js';

const clients: DynamoDBDocumentClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

describeBudgetLedgerContract('DynamoDB Local', async () => {
  const { client, tableName } = await freshTable('budget');
  clients.push(client);
  return new DynamoDbBudgetLedger({ client, tableName });
});
