import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The single-table design, shared by the store, the local runtime (which
 * creates the table) and the CDK Storage construct (which must match it).
 *
 * | item        | PK                 | SK               | GSI1PK   | GSI1SK      |
 * |-------------|--------------------|------------------|----------|-------------|
 * | feature     | FEATURE#<id>       | FEATURE          | FEATURES | <id (ULID)> |
 * | task        | FEATURE#<id>       | TASK#<taskId>    |          |             |
 * | event       | FEATURE#<id>       | EVENT#<ULID>     |          |             |
 * | transcript  | FEATURE#<id>       | TRANSCRIPT#<000000000042> |  |           |
 * | transcr. seq| FEATURE#<id>       | TRANSCRIPT_SEQ   |          |             |
 * | idempotency | IDEMPOTENCY#<key>  | IDEMPOTENCY      |          |             |
 * | delivery    | DELIVERY#<id>      | DELIVERY         |          |             |
 * | lock        | LOCK#<name>        | LOCK             |          |             |
 * | budget      | BUDGET#<featureId> | FEATURE          |          |             |
 * | task budget | BUDGET#<featureId> | TASK#<taskId>    |          |             |
 * | pull req.   | REPO#<repo>        | PR#<0000000042>  |          |             |
 * | PR counter  | REPO#<repo>        | PR_COUNTER       |          |             |
 * | open PR     | REPO#<repo>        | OPEN_PR#<base>#<head> (while that PR is open) |
 *
 * GSI1 lists features newest first. It puts all features in one partition:
 * fine at feature rates (a few per minute), to be sharded by month if that changes.
 */
export const tableDesign = {
  partitionKey: 'PK',
  sortKey: 'SK',
  featureIndex: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  /** Epoch seconds; DynamoDB TTL deletes expired idempotency claims. */
  ttlAttribute: 'expiresAt',
} as const;

export const keys = {
  feature: (id: string) => ({ PK: `FEATURE#${id}`, SK: 'FEATURE' }),
  featureIndex: (id: string) => ({ GSI1PK: 'FEATURES', GSI1SK: id }),
  task: (featureId: string, taskId: string) => ({ PK: `FEATURE#${featureId}`, SK: `TASK#${taskId}` }),
  event: (featureId: string, eventId: string) => ({ PK: `FEATURE#${featureId}`, SK: `EVENT#${eventId}` }),
  /** Zero-padded so entries sort by seq. Outside the FEATURE..TASK$ and EVENT# ranges the feature store queries. */
  transcriptEntry: (featureId: string, seq: number) => ({ PK: `FEATURE#${featureId}`, SK: `TRANSCRIPT#${String(seq).padStart(12, '0')}` }),
  /** Hands out transcript seqs; '_' sorts after '$', so it is outside the TRANSCRIPT# range. */
  transcriptCounter: (featureId: string) => ({ PK: `FEATURE#${featureId}`, SK: 'TRANSCRIPT_SEQ' }),
  idempotency: (key: string) => ({ PK: `IDEMPOTENCY#${key}`, SK: 'IDEMPOTENCY' }),
  delivery: (id: string) => ({ PK: `DELIVERY#${id}`, SK: 'DELIVERY' }),
  lock: (name: string) => ({ PK: `LOCK#${name}`, SK: 'LOCK' }),
  /** Spend of a feature and of its tasks; a partition of its own, so the feature store's queries never see it. */
  featureBudget: (featureId: string) => ({ PK: `BUDGET#${featureId}`, SK: 'FEATURE' }),
  taskBudget: (featureId: string, taskId: string) => ({ PK: `BUDGET#${featureId}`, SK: `TASK#${taskId}` }),
  /** Zero-padded so pull requests sort by number. */
  pullRequest: (repo: string, number: number) => ({ PK: `REPO#${repo}`, SK: `PR#${String(number).padStart(10, '0')}` }),
  pullRequestCounter: (repo: string) => ({ PK: `REPO#${repo}`, SK: 'PR_COUNTER' }),
  /** Exists exactly while a pull request for (base, head) is open: what makes opening idempotent. '#' is not allowed in branch names. */
  openPullRequest: (repo: string, base: string, head: string) => ({ PK: `REPO#${repo}`, SK: `OPEN_PR#${base}#${head}` }),
} as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, featureIndex } = tableDesign;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [partitionKey, sortKey, featureIndex.partitionKey, featureIndex.sortKey].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: featureIndex.name,
        KeySchema: [
          { AttributeName: featureIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: featureIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
