import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { systemClock } from '../lambdas/ports/clock.js';
import { createUlidIdSource } from '../lambdas/adapters/ulid-id-source.js';
import { createDocumentClient, ensureTable } from '../lambdas/adapters/dynamodb/dynamodb-client.js';
import { DynamoDbFeatureStore } from '../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { featureRoutes, type ApiDeps } from '../lambdas/http/routes/feature-routes.js';
import { createApiGatewayServer } from './api-gateway-server.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';

export interface LocalRuntimeOptions {
  /** Where state persists (DynamoDB Local files live under `<dataDir>/dynamodb`). */
  readonly dataDir: string;
  /** Keep DynamoDB in memory (tests); dataDir is then unused for state. */
  readonly inMemory?: boolean;
  readonly port: number;
  readonly host?: string;
  readonly logger?: Logger;
  /** Use an already running DynamoDB (tests share one); otherwise one is started. */
  readonly dynamoDbEndpoint?: string;
  readonly tableName?: string;
}

export interface LocalRuntime {
  readonly url: string;
  readonly logger: Logger;
  stop(): Promise<void>;
}

/** The whole factory on one machine: DynamoDB Local, the table, and the API on the same handlers as AWS. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const logger = options.logger ?? new Logger({ serviceName: 'dsf-local' });
  let dynamo: DynamoDbLocal | undefined;
  let server: Server | undefined;
  const client = { current: undefined as ReturnType<typeof createDocumentClient> | undefined };

  const stop = async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    server?.closeAllConnections();
    client.current?.destroy();
    await dynamo?.stop();
  };

  try {
    let endpoint = options.dynamoDbEndpoint;
    if (!endpoint) {
      dynamo = await startDynamoDbLocal(options.inMemory ? {} : { dataDir: join(options.dataDir, 'dynamodb') });
      endpoint = dynamo.endpoint;
    }
    logger.info('DynamoDB Local ready', { endpoint, persistent: !options.inMemory });
    client.current = createDocumentClient({ endpoint });
    const tableName = options.tableName ?? 'dsf';
    await ensureTable(client.current, tableName);

    const ids = createUlidIdSource();
    const deps: ApiDeps = {
      logger,
      clock: systemClock,
      ids,
      store: new DynamoDbFeatureStore({ client: client.current, tableName, clock: systemClock, ids }),
      defaults: { repo: process.env['DSF_DEFAULT_REPO'] ?? 'demo', baseBranch: process.env['DSF_DEFAULT_BASE_BRANCH'] ?? 'main' },
      idempotencyTtlSeconds: 24 * 3600,
    };
    server = createApiGatewayServer(featureRoutes.map((route) => ({ routeKey: route.routeKey, handler: route.create(deps) })));
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = listening.address() as AddressInfo;
    const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
    logger.info('DSF API listening', { url });
    return { url, logger, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
