import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTableInput, tableDesign } from './table-design.js';

export interface DynamoDbConnection {
  /** Set for DynamoDB Local; absent on AWS, where the SDK resolves the regional endpoint. */
  readonly endpoint?: string;
  readonly region?: string;
}

export function createDocumentClient(connection: DynamoDbConnection = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(connection.endpoint
      ? {
          endpoint: connection.endpoint,
          region: connection.region ?? 'local',
          // DynamoDB Local accepts any signature; fixed local credentials keep real ones out of play.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : connection.region
        ? { region: connection.region }
        : {}),
    maxAttempts: 3,
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Creates the table if it is missing (local runtime and tests; on AWS the CDK owns the table). */
export async function ensureTable(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: tableDesign.ttlAttribute, Enabled: true },
    }),
  );
}
