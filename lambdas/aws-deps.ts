import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from './ports/clock.js';
import { createUlidIdSource } from './adapters/ulid-id-source.js';
import { createDocumentClient } from './adapters/dynamodb/dynamodb-client.js';
import { DynamoDbFeatureStore } from './adapters/dynamodb/dynamodb-feature-store.js';
import { SfnWorkflow } from './adapters/sfn/sfn-workflow.js';
import { createDefaultAgentSelector } from './agents/sleep-agent.js';
import { createPowertoolsMetrics } from './adapters/powertools-metrics.js';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { apiConfigSchema, loadConfig, orchestrationConfigSchema, webhookConfigSchema } from './config.js';
import type { WebhookRouteDeps } from './http/routes/webhook-route.js';
import type { ApiDeps } from './http/routes/feature-routes.js';
import type { OrchestrationDeps } from './use-cases/orchestration.js';
import type { WorkerDeps } from './use-cases/run-task.js';
import type { z } from 'zod';
import { defaultAgentCapacity } from './core/scheduling.js';

/**
 * Dependencies of the Lambda functions on AWS, built once per cold start from
 * their environment. Handlers call these at module scope; tests build their own.
 */
type Env = Record<string, string | undefined>;

export function storeFrom(config: { TABLE_NAME: string; DSF_DYNAMODB_ENDPOINT?: string | undefined; AWS_REGION?: string | undefined }) {
  const ids = createUlidIdSource();
  const client = createDocumentClient({
    ...(config.DSF_DYNAMODB_ENDPOINT ? { endpoint: config.DSF_DYNAMODB_ENDPOINT } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
  });
  return { ids, client, store: new DynamoDbFeatureStore({ client, tableName: config.TABLE_NAME, clock: systemClock, ids }) };
}

/** Task-token calls need no state machine ARN (the token identifies the execution); only the API starts and stops executions. */
const workflowFor = (stateMachineArn?: string) => new SfnWorkflow({ client: new SFNClient({}), ...(stateMachineArn ? { stateMachineArn } : {}) });

export function buildAwsApiDeps(env: Env = process.env): ApiDeps {
  return apiDepsFrom(loadConfig(apiConfigSchema, env), 'dsf-api');
}

export function apiDepsFrom(config: z.output<typeof apiConfigSchema>, serviceName: string): ApiDeps {
  const { ids, store } = storeFrom(config);
  return {
    logger: new Logger({ serviceName }),
    clock: systemClock,
    ids,
    store,
    workflow: workflowFor(config.STATE_MACHINE_ARN),
    defaults: { repo: config.DSF_DEFAULT_REPO, baseBranch: config.DSF_DEFAULT_BASE_BRANCH },
    idempotencyTtlSeconds: config.DSF_IDEMPOTENCY_TTL_SECONDS,
  };
}

export function buildAwsOrchestrationDeps(env: Env = process.env): OrchestrationDeps {
  return orchestrationDepsFrom(loadConfig(orchestrationConfigSchema, env), 'dsf-orchestrator');
}

function orchestrationDepsFrom(config: z.output<typeof orchestrationConfigSchema>, serviceName: string): OrchestrationDeps {
  const { store } = storeFrom(config);
  return {
    store,
    workflow: workflowFor(),
    logger: new Logger({ serviceName }),
    metrics: createPowertoolsMetrics(serviceName),
    scheduling: {
      policy: config.DSF_SCHEDULING_POLICY,
      capacity: { ...defaultAgentCapacity, ...config.DSF_AGENT_CONCURRENCY },
    },
  };
}

export function buildAwsWorkerDeps(env: Env = process.env): WorkerDeps {
  const config = loadConfig(orchestrationConfigSchema, env);
  return {
    ...orchestrationDepsFrom(config, 'dsf-agent-worker'),
    selectAgent: createDefaultAgentSelector({ heartbeatEveryMs: config.DSF_HEARTBEAT_EVERY_MS }),
    attemptTimeoutMs: config.DSF_ATTEMPT_TIMEOUT_MS,
  };
}

export function buildAwsWebhookDeps(env: Env = process.env): WebhookRouteDeps {
  const config = loadConfig(webhookConfigSchema, env);
  return {
    // The webhook schema extends the API's, so one parse serves both.
    ...apiDepsFrom(config, 'dsf-webhook'),
    metrics: createPowertoolsMetrics('dsf-webhook'),
    triggerLabel: config.DSF_TRIGGER_LABEL,
    deliveryTtlSeconds: config.DSF_DELIVERY_TTL_SECONDS,
    // Cached for five minutes per container, so a rotated secret takes effect without a deploy.
    webhookSecret: async () => (await getSecret<string>(config.DSF_WEBHOOK_SECRET_ID, { maxAge: 300 })) ?? undefined,
  };
}
