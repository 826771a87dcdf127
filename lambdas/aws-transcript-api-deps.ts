import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { DynamoDbTranscriptReader } from './adapters/dynamodb/dynamodb-transcript-store.js';
import { S3ObjectReader } from './adapters/s3/s3-object-reader.js';
import { systemClock } from './ports/clock.js';
import type { ApiDeps } from './http/routes/feature-routes.js';
import { apiConfigSchema, ConfigError, loadConfig } from './config.js';
import { apiDepsFrom, storeFrom } from './aws-deps.js';

/**
 * The transcript route's dependencies on AWS: the API's, plus transcripts read
 * from the table and large bodies read from the bucket with signed GETs
 * (S3ObjectReader), not the S3 client, which would add ~170 KB to the bundle.
 * Nothing here writes transcripts; the agent workers do (aws-transcript-deps.ts).
 */
type Env = Record<string, string | undefined>;

export function buildAwsTranscriptApiDeps(env: Env = process.env): ApiDeps {
  const config = loadConfig(apiConfigSchema, env);
  const deps = apiDepsFrom(config, 'dsf-api');
  const bucket = config.DSF_TRANSCRIPT_BUCKET;
  if (!bucket) return deps;
  // The S3 client would find the region at its first call; a signed URL needs it now. Lambda always sets it.
  if (!config.AWS_REGION) throw new ConfigError(['AWS_REGION: is required when DSF_TRANSCRIPT_BUCKET is set']);
  const entries = new DynamoDbTranscriptReader({ client: storeFrom(config).client, tableName: config.TABLE_NAME, clock: systemClock });
  // The SDK's default chain, which the DynamoDB client bundles already; on Lambda it reads the environment.
  const bodies = new S3ObjectReader({ bucket, region: config.AWS_REGION, credentials: defaultProvider() });
  return { ...deps, transcripts: { entries, bodies } };
}
