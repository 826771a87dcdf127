import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbTranscriptStore } from './adapters/dynamodb/dynamodb-transcript-store.js';
import { S3BlobStore } from './adapters/s3/s3-blob-store.js';
import { systemClock } from './ports/clock.js';
import type { createDocumentClient } from './adapters/dynamodb/dynamodb-client.js';
import type { ApiDeps } from './http/routes/feature-routes.js';
import type { TranscriptReadDeps } from './use-cases/transcripts.js';
import { apiConfigSchema, loadConfig, orchestrationConfigSchema } from './config.js';
import { apiDepsFrom, storeFrom } from './aws-deps.js';

/**
 * Transcript storage on AWS, apart from aws-deps.ts so that only the functions
 * that read or write transcripts (the transcript route, the agent workers)
 * bundle the S3 client: it would add ~170 KB to every other API function.
 */
type Env = Record<string, string | undefined>;

type TranscriptConfig = {
  TABLE_NAME: string;
  DSF_TRANSCRIPT_BUCKET?: string | undefined;
  DSF_TRANSCRIPT_RETENTION_DAYS?: number | undefined;
};

/** Entries in the table, large bodies in the bucket; undefined for a function deployed without the bucket. */
export function transcriptsFrom(config: TranscriptConfig, client: ReturnType<typeof createDocumentClient>): TranscriptReadDeps | undefined {
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
export function buildAwsTranscripts(env: Env = process.env): TranscriptReadDeps | undefined {
  const config = loadConfig(orchestrationConfigSchema, env);
  return transcriptsFrom(config, storeFrom(config).client);
}


/** The transcript route: the API's dependencies plus the transcript store. */
export function buildAwsTranscriptApiDeps(env: Env = process.env): ApiDeps {
  const config = loadConfig(apiConfigSchema, env);
  const deps = apiDepsFrom(config, 'dsf-api');
  const transcripts = transcriptsFrom(config, storeFrom(config).client);
  return { ...deps, ...(transcripts ? { transcripts } : {}) };
}
