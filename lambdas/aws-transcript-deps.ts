import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbTranscriptStore } from './adapters/dynamodb/dynamodb-transcript-store.js';
import { S3BlobStore } from './adapters/s3/s3-blob-store.js';
import { systemClock } from './ports/clock.js';
import type { createDocumentClient } from './adapters/dynamodb/dynamodb-client.js';
import type { BlobStore, TranscriptStore } from './ports/transcript-store.js';
import { loadConfig, orchestrationConfigSchema } from './config.js';
import { storeFrom } from './aws-deps.js';

/**
 * Transcript storage on AWS for the agent workers, which write transcripts:
 * apart from aws-deps.ts so that no zip function bundles the S3 client (~170 KB).
 * The API's transcript route only reads, without it: aws-transcript-api-deps.ts.
 */
type Env = Record<string, string | undefined>;

type TranscriptConfig = {
  TABLE_NAME: string;
  DSF_TRANSCRIPT_BUCKET?: string | undefined;
  DSF_TRANSCRIPT_RETENTION_DAYS?: number | undefined;
};

export interface TranscriptStorage {
  readonly entries: TranscriptStore;
  readonly bodies: BlobStore;
}

/** Entries in the table, large bodies in the bucket; undefined for a function deployed without the bucket. */
export function transcriptsFrom(config: TranscriptConfig, client: ReturnType<typeof createDocumentClient>): TranscriptStorage | undefined {
  if (!config.DSF_TRANSCRIPT_BUCKET) return undefined;
  const bodies = new S3BlobStore({ client: new S3Client({}), bucket: config.DSF_TRANSCRIPT_BUCKET });
  const entries = new DynamoDbTranscriptStore({
    client,
    tableName: config.TABLE_NAME,
    clock: systemClock,
    blobs: bodies,
    ...(config.DSF_TRANSCRIPT_RETENTION_DAYS === undefined ? {} : { retentionDays: config.DSF_TRANSCRIPT_RETENTION_DAYS }),
  });
  return { entries, bodies };
}

/** The agent workers' transcript store (wrap it with transcriptSinkFor); undefined without DSF_TRANSCRIPT_BUCKET. */
export function buildAwsTranscripts(env: Env = process.env): TranscriptStorage | undefined {
  const config = loadConfig(orchestrationConfigSchema, env);
  return transcriptsFrom(config, storeFrom(config).client);
}
