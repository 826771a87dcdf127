import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ConcurrentUpdateError } from '../../core/errors.js';
import type { Clock } from '../../ports/clock.js';
import {
  prepareEntry,
  transcriptEntrySchema,
  type BlobStore,
  type TranscriptEntry,
  type TranscriptEntryInput,
  type TranscriptPage,
  type TranscriptQuery,
  type TranscriptReader,
  type TranscriptStore,
} from '../../ports/transcript-store.js';
import { keys, tableDesign } from './table-design.js';

const DEFAULT_LIMIT = 100;
/** A seq is only ever taken twice if the counter item was lost; each retry takes a fresh one. */
const MAX_APPEND_ATTEMPTS = 5;
/**
 * An append writes its item one round trip after taking its seq. A seq still
 * missing when a later entry is this old was taken by an append that died, and
 * readers stop waiting for it.
 */
const DEFAULT_SETTLE_MS = 10_000;

const counterSchema = z.object({ last: z.number().int().positive() });

export interface DynamoDbTranscriptReaderDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  /** How long `list` waits at a taken but unwritten seq before treating it as lost. @default 10 s */
  readonly settleMs?: number;
}

export interface DynamoDbTranscriptStoreDeps extends DynamoDbTranscriptReaderDeps {
  /** Where bodies over the inline limit go (S3 on AWS, the data directory locally). */
  readonly blobs: BlobStore;
  /** Entries expire (DynamoDB TTL) this many days after they are written. @default kept forever */
  readonly retentionDays?: number;
}

/**
 * The reading half of DynamoDbTranscriptStore (see there), for the API's
 * transcript route: it lists entries and needs no blob store to write to.
 */
export class DynamoDbTranscriptReader implements TranscriptReader {
  constructor(protected readonly deps: DynamoDbTranscriptReaderDeps) {}

  async list(query: TranscriptQuery): Promise<TranscriptPage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const settleMs = this.deps.settleMs ?? DEFAULT_SETTLE_MS;
    const lower = keys.transcriptEntry(query.featureId, query.afterSeq ?? 0).SK;
    const matching: TranscriptEntry[] = [];
    let expected = (query.afterSeq ?? 0) + 1;
    let exclusiveStartKey: Record<string, unknown> | undefined;
    scan: do {
      const page = await this.deps.client.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          // '$' sorts right after '#', so this range holds exactly the TRANSCRIPT# entries.
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :lower AND :upper',
          ExpressionAttributeValues: { ':pk': keys.feature(query.featureId).PK, ':lower': lower, ':upper': 'TRANSCRIPT$' },
          ConsistentRead: true,
          // With a task filter the other tasks' entries are read too: gaps can only be seen in the whole sequence.
          ...(query.taskId === undefined ? { Limit: limit + 1 } : {}),
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item['SK'] === lower) continue;
        const entry = parseEntry(item);
        // A missing seq is an append between taking its seq and writing its item; a cursor past it would skip it.
        if (entry.seq > expected && this.deps.clock.now().getTime() - Date.parse(entry.at) < settleMs) break scan;
        expected = entry.seq + 1;
        if (query.taskId !== undefined && entry.taskId !== query.taskId) continue;
        matching.push(entry);
        if (matching.length > limit) break scan;
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    const entries = matching.slice(0, limit);
    return { entries, ...(matching.length > limit ? { nextSeq: entries.at(-1)!.seq } : {}) };
  }
}

/**
 * TranscriptStore on the single table (see table-design.ts): entries under the
 * feature's partition at `TRANSCRIPT#<seq, zero-padded>`, and a counter item
 * whose atomic ADD hands out seqs, so parallel agents of one feature never get
 * the same one. The entry put is conditional on the key being free, which
 * keeps an entry from ever being overwritten, even by a reset counter.
 */
export class DynamoDbTranscriptStore extends DynamoDbTranscriptReader implements TranscriptStore {
  declare protected readonly deps: DynamoDbTranscriptStoreDeps;

  constructor(deps: DynamoDbTranscriptStoreDeps) {
    super(deps);
  }

  async append(input: TranscriptEntryInput): Promise<TranscriptEntry> {
    const { parsed, body, bodyRef } = await prepareEntry(input, this.deps.blobs);
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const now = this.deps.clock.now();
      const expiry = this.expiry(now);
      const seq = await this.nextSeq(parsed.featureId, expiry);
      const entry: TranscriptEntry = {
        ...parsed,
        body,
        seq,
        at: now.toISOString(),
        ...(bodyRef === undefined ? {} : { bodyRef }),
      };
      try {
        await this.deps.client.send(
          new PutCommand({
            TableName: this.deps.tableName,
            Item: { ...entry, ...keys.transcriptEntry(parsed.featureId, seq), ...expiry },
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        );
        return entry;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new ConcurrentUpdateError('feature', parsed.featureId);
  }

  /** The counter keeps the expiry of the newest entry, so it never expires before an entry it numbered. */
  private async nextSeq(featureId: string, expiry: Record<string, number>): Promise<number> {
    const ttl = tableDesign.ttlAttribute;
    const { Attributes } = await this.deps.client.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: keys.transcriptCounter(featureId),
        UpdateExpression: ttl in expiry ? 'ADD #last :one SET #ttl = :ttl' : 'ADD #last :one',
        ExpressionAttributeNames: { '#last': 'last', ...(ttl in expiry ? { '#ttl': ttl } : {}) },
        ExpressionAttributeValues: { ':one': 1, ...(ttl in expiry ? { ':ttl': expiry[ttl] } : {}) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return counterSchema.parse(Attributes).last;
  }

  private expiry(now: Date): Record<string, number> {
    if (this.deps.retentionDays === undefined) return {};
    return { [tableDesign.ttlAttribute]: Math.floor(now.getTime() / 1000) + this.deps.retentionDays * 86_400 };
  }
}

function parseEntry(item: Record<string, unknown>): TranscriptEntry {
  // The table's own attributes are not part of the entry, whose schema is strict.
  const { PK: _pk, SK: _sk, [tableDesign.ttlAttribute]: _expiresAt, ...entry } = item;
  return transcriptEntrySchema.parse(entry);
}
