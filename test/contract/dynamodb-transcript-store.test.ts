import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDbTranscriptStore } from '../../lambdas/adapters/dynamodb/dynamodb-transcript-store.js';
import { keys } from '../../lambdas/adapters/dynamodb/table-design.js';
import { FileBlobStore } from '../../lambdas/adapters/local-files/file-blob-store.js';
import { MemoryBlobStore } from '../../lambdas/adapters/memory/memory-transcript-store.js';
import { freshTable } from '../support/dynamodb.js';
import { ManualClock } from '../support/fixtures.js';
import { anEntry, describeTranscriptStoreContract, newFeatureId } from './transcript-store.contract.js';

const clients: DynamoDBDocumentClient[] = [];
const directories: string[] = [];
afterAll(async () => {
  clients.forEach((client) => client.destroy());
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

// One table for the file: each test works in a feature of its own.
let table: ReturnType<typeof freshTable> | undefined;
const sharedTable = () => (table ??= freshTable('transcripts').then((made) => (clients.push(made.client), made)));

// Bodies go to files, as in the local runtime, so the contract covers FileBlobStore too.
describeTranscriptStoreContract('DynamoDB Local with file bodies', async () => {
  const clock = new ManualClock();
  const { client, tableName } = await sharedTable();
  const directory = await mkdtemp(join(tmpdir(), 'dsf-transcripts-'));
  directories.push(directory);
  const blobs = new FileBlobStore(directory);
  return { clock, blobs, store: new DynamoDbTranscriptStore({ client, tableName, clock, blobs }) };
});

describe('DynamoDbTranscriptStore', () => {
  /** What an append does between taking its seq and writing its item, frozen there. */
  async function takeSeq(client: DynamoDBDocumentClient, tableName: string, featureId: string) {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.transcriptCounter(featureId),
        UpdateExpression: 'ADD #last :one',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }

  it('lists no further than a seq that is taken but not yet written, until it is old enough to be given up', async () => {
    const { client, tableName } = await sharedTable();
    const clock = new ManualClock();
    const store = new DynamoDbTranscriptStore({ client, tableName, clock, blobs: new MemoryBlobStore(), settleMs: 5_000 });
    const featureId = newFeatureId();
    const first = await store.append(anEntry(featureId, { body: 'one' }));
    await takeSeq(client, tableName, featureId);
    const third = await store.append(anEntry(featureId, { body: 'three' }));

    const whileInFlight = await store.list({ featureId });
    clock.advance(5_000);
    const afterSettling = await store.list({ featureId, afterSeq: 1 });

    // A follower whose cursor moved to 3 now would never see seq 2.
    expect(whileInFlight).toEqual({ entries: [first] });
    expect(third.seq).toBe(3);
    expect(afterSettling).toEqual({ entries: [third] });
  });

  it('writes the TTL attribute on entries and the counter when a retention is set, and none otherwise', async () => {
    const { client, tableName } = await sharedTable();
    const clock = new ManualClock();
    const kept = newFeatureId();
    const expiring = newFeatureId();
    await new DynamoDbTranscriptStore({ client, tableName, clock, blobs: new MemoryBlobStore() }).append(anEntry(kept));
    await new DynamoDbTranscriptStore({ client, tableName, clock, blobs: new MemoryBlobStore(), retentionDays: 30 }).append(anEntry(expiring));

    const item = async (key: Record<string, string>) => (await client.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
    const expected = Math.floor(clock.now().getTime() / 1000) + 30 * 86_400;

    expect((await item(keys.transcriptEntry(expiring, 1)))?.['expiresAt']).toBe(expected);
    expect((await item(keys.transcriptCounter(expiring)))?.['expiresAt']).toBe(expected);
    expect(await item(keys.transcriptEntry(kept, 1))).not.toHaveProperty('expiresAt');
  });

  it('never overwrites an entry: a reset counter makes the append take the next free seq', async () => {
    const { client, tableName } = await sharedTable();
    const clock = new ManualClock();
    const store = new DynamoDbTranscriptStore({ client, tableName, clock, blobs: new MemoryBlobStore() });
    const featureId = newFeatureId();
    const first = await store.append(anEntry(featureId, { body: 'one' }));
    await client.send(
      new UpdateCommand({ TableName: tableName, Key: keys.transcriptCounter(featureId), UpdateExpression: 'SET #last = :zero', ExpressionAttributeNames: { '#last': 'last' }, ExpressionAttributeValues: { ':zero': 0 } }),
    );

    const second = await store.append(anEntry(featureId, { body: 'two' }));

    expect(second.seq).toBe(2);
    expect((await store.list({ featureId })).entries).toEqual([first, second]);
  });
});
