import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../ports/clock.js';
import { createUlidIdSource } from '../adapters/ulid-id-source.js';
import { createDocumentClient } from '../adapters/dynamodb/dynamodb-client.js';
import { DynamoDbFeatureStore } from '../adapters/dynamodb/dynamodb-feature-store.js';
import { apiConfigSchema, loadConfig } from '../config.js';
import type { ApiDeps } from './routes/feature-routes.js';

/** Dependencies of an API function on AWS, built once per cold start from its environment. */
export function buildAwsApiDeps(env: Record<string, string | undefined> = process.env): ApiDeps {
  const config = loadConfig(apiConfigSchema, env);
  const ids = createUlidIdSource();
  const client = createDocumentClient({
    ...(config.DSF_DYNAMODB_ENDPOINT ? { endpoint: config.DSF_DYNAMODB_ENDPOINT } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
  });
  return {
    logger: new Logger({ serviceName: 'dsf-api' }),
    clock: systemClock,
    ids,
    store: new DynamoDbFeatureStore({ client, tableName: config.TABLE_NAME, clock: systemClock, ids }),
    defaults: { repo: config.DSF_DEFAULT_REPO, baseBranch: config.DSF_DEFAULT_BASE_BRANCH },
    idempotencyTtlSeconds: config.DSF_IDEMPOTENCY_TTL_SECONDS,
  };
}
