import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { systemClock } from './ports/clock.js';
import { createUlidIdSource } from './adapters/ulid-id-source.js';
import { createDocumentClient } from './adapters/dynamodb/dynamodb-client.js';
import { DynamoDbFeatureStore } from './adapters/dynamodb/dynamodb-feature-store.js';
import { SfnWorkflow } from './adapters/sfn/sfn-workflow.js';
import { createPowertoolsMetrics } from './adapters/powertools-metrics.js';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { apiConfigSchema, gitHubAppFrom, loadConfig, orchestrationConfigSchema, webhookConfigSchema } from './config.js';
import { GitHubAppHost } from './adapters/github/github-app-host.js';
import { IssueCommentNotifier } from './adapters/issue-comment-notifier.js';
import type { WebhookRouteDeps } from './http/routes/webhook-route.js';
import type { ApiDeps } from './http/routes/feature-routes.js';
import type { OrchestrationDeps } from './use-cases/orchestration.js';
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

/**
 * A secret's value through Powertools Parameters, cached for five minutes per
 * container, so a rotated secret takes effect without a deploy.
 */
export const readSecret = async (secretId: string): Promise<string | undefined> => (await getSecret<string>(secretId, { maxAge: 300 })) ?? undefined;

/** The GitHub App host when DSF_GITHUB_APP_ID is set (its key read from Secrets Manager on first use), else undefined. */
export function gitHubHostFrom(config: Parameters<typeof gitHubAppFrom>[0], logger: Logger): GitHubAppHost | undefined {
  const app = gitHubAppFrom(config);
  if (!app) return undefined;
  return new GitHubAppHost({
    appId: app.appId,
    installationId: app.installationId,
    owner: app.owner,
    privateKey: () => readSecret(app.privateKeySecretId),
    ...(app.apiUrl ? { baseUrl: app.apiUrl } : {}),
    // Octokit's log lines go through the redacting log (github-host.ts) into the function's logger.
    log: {
      debug: () => {},
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
}

export function orchestrationDepsFrom(
  config: z.output<typeof orchestrationConfigSchema>,
  serviceName: string,
  { store }: Pick<ReturnType<typeof storeFrom>, 'store'> = storeFrom(config),
): OrchestrationDeps & { gitHub?: GitHubAppHost } {
  const logger = new Logger({ serviceName });
  const gitHub = gitHubHostFrom(config, logger);
  return {
    store,
    workflow: workflowFor(),
    logger,
    metrics: createPowertoolsMetrics(serviceName),
    scheduling: {
      policy: config.DSF_SCHEDULING_POLICY,
      capacity: { ...defaultAgentCapacity, ...config.DSF_AGENT_CONCURRENCY },
    },
    // A gated feature gets a pull request for people to review and merge: the factory never merges on AWS by itself.
    ...(gitHub ? { gitHub, pullRequests: { host: gitHub, autoMerge: false }, notifier: new IssueCommentNotifier(gitHub) } : {}),
  };
}

export function buildAwsWebhookDeps(env: Env = process.env): WebhookRouteDeps {
  const config = loadConfig(webhookConfigSchema, env);
  // The webhook schema extends the API's, so one parse serves both.
  const deps = apiDepsFrom(config, 'dsf-webhook');
  const gitHub = gitHubHostFrom(config, deps.logger);
  return {
    ...deps,
    metrics: createPowertoolsMetrics('dsf-webhook'),
    triggerLabel: config.DSF_TRIGGER_LABEL,
    deliveryTtlSeconds: config.DSF_DELIVERY_TTL_SECONDS,
    webhookSecret: () => readSecret(config.DSF_WEBHOOK_SECRET_ID),
    // Commands answered on their issue, progress reported there, feature branches re-integrated when their base moves.
    ...(gitHub ? { gitHost: gitHub, issues: gitHub, notifier: new IssueCommentNotifier(gitHub) } : {}),
  };
}
