import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import pLimit from 'p-limit';
import { systemClock } from '../lambdas/ports/clock.js';
import type { AgentSelector } from '../lambdas/ports/agent.js';
import { executionNameForFeature, featureIdFromExecutionName } from '../lambdas/ports/workflow.js';
import { createUlidIdSource } from '../lambdas/adapters/ulid-id-source.js';
import { createDocumentClient, ensureTable } from '../lambdas/adapters/dynamodb/dynamodb-client.js';
import { DynamoDbFeatureStore } from '../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { MemoryFeatureStore } from '../lambdas/adapters/memory/memory-feature-store.js';
import { featureRoutes, type ApiDeps } from '../lambdas/http/routes/feature-routes.js';
import { createGithubWebhookHandler } from '../lambdas/http/routes/webhook-route.js';
import { repoRoutes } from '../lambdas/http/routes/repo-routes.js';
import { DynamoDbPullRequestStore } from '../lambdas/adapters/dynamodb/dynamodb-pull-request-store.js';
import { DynamoDbTranscriptStore } from '../lambdas/adapters/dynamodb/dynamodb-transcript-store.js';
import { FileBlobStore } from '../lambdas/adapters/local-files/file-blob-store.js';
import type { TranscriptStore } from '../lambdas/ports/transcript-store.js';
import { LocalGitHost } from '../lambdas/adapters/local-git/local-git-host.js';
import { stepFunctions } from '../lambdas/orchestration/step-functions.js';
import { createAgentWorkerHandler } from '../lambdas/orchestration/agent-worker.js';
import { createAgentSelector } from '../lambdas/agents/agent-selector.js';
import { createModelPlanner } from '../lambdas/agents/model-planner.js';
import { transcriptSinkFor } from '../lambdas/use-cases/transcripts.js';
import { LocalWorkspaceProvider } from '../lambdas/adapters/local-git/local-workspace.js';
import { DynamoDbLock } from '../lambdas/adapters/dynamodb/dynamodb-lock.js';
import { DynamoDbBudgetLedger } from '../lambdas/adapters/dynamodb/dynamodb-budget-ledger.js';
import { DEMO_REPO, DEMO_SESSIONS_DIR } from './demo/demo.js';
import { isTerminalFeatureStatus } from '../lambdas/core/feature.js';
import { agentTypes, type AgentType } from '../lambdas/core/task.js';
import { defaultAgentCapacity, type AgentCapacity, type SchedulingPolicy } from '../lambdas/core/scheduling.js';
import { recordFailure, type OrchestrationDeps } from '../lambdas/use-cases/orchestration.js';
import type { FeatureStore } from '../lambdas/ports/feature-store.js';
import { createApiGatewayServer } from './api-gateway-server.js';
import { createDashboardServer, type DashboardServer } from './dashboard-server.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { LocalWorkflow, type LocalWorkflowOptions } from './workflow/local-workflow.js';
import { startLocalQueues, type LocalQueues } from './queues/local-queues.js';
import { SqsEventSource } from './queues/sqs-event-source.js';

/**
 * Invocations of each state machine function the local engine runs at once; its further calls wait
 * their turn (a function's concurrency limit, without AWS's throttling errors). DynamoDB Local
 * serves about one request at a time (1.5–3 ms each): a plan of 200 tasks starts 200
 * AwaitDependencies at once, and uncapped, their 400 reads and writes queue ahead of the first
 * agents' claims for up to two seconds. Capped, they trickle in behind those, in the Map's order
 * (critical paths first). On AWS no limit is set: DynamoDB serves such a burst in parallel.
 */
export const DEFAULT_FUNCTION_CONCURRENCY = 8;

export const FEATURE_STATE_MACHINE = resolve(fileURLToPath(new URL('../statemachines/feature.asl.json', import.meta.url)));

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
  /** Agents per type; both the scheduler and the queue pollers keep to it. */
  readonly agentConcurrency?: Partial<AgentCapacity>;
  readonly schedulingPolicy?: SchedulingPolicy;
  readonly selectAgent?: AgentSelector;
  /** How often a working agent heartbeats. */
  readonly heartbeatEveryMs?: number;
  /** Concurrent invocations of each state machine function (default DEFAULT_FUNCTION_CONCURRENCY). */
  readonly functionConcurrency?: number;
  readonly attemptTimeoutMs?: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
  readonly timeoutOverrides?: LocalWorkflowOptions['timeoutOverrides'];
  readonly retryIntervalOverrides?: LocalWorkflowOptions['retryIntervalOverrides'];
  /**
   * Merge a feature's pull request as soon as its gates pass (default: DSF_AUTO_MERGE, on).
   * The local host's repositories are the factory's own copies, so this is what
   * "to a merged PR" means locally; set DSF_AUTO_MERGE=0 to leave PRs open for a person.
   */
  readonly autoMerge?: boolean;
  /** Restart the executions of unfinished features found in the store (default true). */
  readonly resume?: boolean;
  /** Secret GitHub signs webhook deliveries with (default: DSF_WEBHOOK_SECRET); without it the webhook route answers 503. */
  readonly webhookSecret?: string;
  /**
   * Where features and tasks live: DynamoDB Local (the default, what a user runs), or this
   * process's memory, gone at stop. The schedule benchmark runs both to tell the store's cost
   * from the engine's and the queues' (`npm run bench:schedule -- --store memory`).
   */
  readonly featureStore?: 'dynamodb' | 'memory';
  /** Sees the DynamoDB client before use (the benchmark counts writes with a middleware). */
  readonly instrumentDynamoDb?: (client: ReturnType<typeof createDocumentClient>) => void;
  /** The web UI and its event stream (see local/dashboard-server.ts); defaults serve dashboard/dist. */
  readonly dashboard?: { readonly staticDir?: string; readonly pollEveryMs?: number; readonly heartbeatEveryMs?: number };
}

export interface LocalRuntime {
  readonly url: string;
  readonly logger: Logger;
  readonly store: FeatureStore;
  /** Agent transcripts: entries in the table, large bodies under `<dataDir>/blobs/transcripts`. */
  readonly transcripts: TranscriptStore;
  readonly workflow: LocalWorkflow;
  readonly queues: LocalQueues;
  /** The embedded git host: bare repositories under the data directory. */
  readonly gitHost: LocalGitHost;
  /** DSF_MODEL as the agents use it (the demo's scripted sessions when unset). */
  readonly modelId: string;
  /** Whether gated pull requests are merged by the factory itself. */
  readonly autoMerge: boolean;
  stop(): Promise<void>;
}


/**
 * The whole factory on one machine: DynamoDB Local, fauxqs queues with a poller
 * per agent type, the feature state machine on the local engine, and the API on
 * the same handlers as AWS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const logger = options.logger ?? new Logger({ serviceName: 'dsf-local' });
  const resources: {
    dynamo?: DynamoDbLocal;
    server?: Server;
    dashboard?: DashboardServer;
    queues?: LocalQueues;
    workflow?: LocalWorkflow;
    sources: SqsEventSource[];
  } = {
    sources: [],
  };
  let client: ReturnType<typeof createDocumentClient> | undefined;

  const stop = async () => {
    const { server } = resources;
    // Event streams end first and cleanly, before the sockets are dropped and the store goes away.
    await resources.dashboard?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
    await Promise.all(resources.sources.map((source) => source.stop()));
    await resources.workflow?.close();
    await resources.queues?.stop();
    client?.destroy();
    await resources.dynamo?.stop();
  };

  try {
    let endpoint = options.dynamoDbEndpoint;
    if (!endpoint) {
      resources.dynamo = await startDynamoDbLocal(options.inMemory ? {} : { dataDir: join(options.dataDir, 'dynamodb') });
      endpoint = resources.dynamo.endpoint;
    }
    logger.info('DynamoDB Local ready', { endpoint, persistent: !options.inMemory });
    client = createDocumentClient({ endpoint });
    options.instrumentDynamoDb?.(client);
    const tableName = options.tableName ?? 'dsf';
    await ensureTable(client, tableName);
    const ids = createUlidIdSource();
    const store: FeatureStore =
      options.featureStore === 'memory'
        ? new MemoryFeatureStore({ clock: systemClock, ids })
        : new DynamoDbFeatureStore({ client, tableName, clock: systemClock, ids });
    // Keys start with transcripts/, so bodies land in <dataDir>/blobs/transcripts/<featureId>/.
    const transcriptBodies = new FileBlobStore(join(options.dataDir, 'blobs'));
    const transcripts = new DynamoDbTranscriptStore({ client, tableName, clock: systemClock, blobs: transcriptBodies });
    // The embedded git host: bare repositories under the data directory, pull requests in the table.
    const gitHost = new LocalGitHost({
      dataDir: options.dataDir,
      pullRequests: new DynamoDbPullRequestStore({ client, tableName, clock: systemClock, ids }),
    });

    const capacity: AgentCapacity = { ...defaultAgentCapacity, ...options.agentConcurrency };
    const attemptTimeoutMs = options.attemptTimeoutMs ?? 15 * 60_000;
    const queues = await startLocalQueues({
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? Math.ceil((attemptTimeoutMs / 1000) * 1.2),
      maxReceiveCount: options.maxReceiveCount ?? 3,
    });
    resources.queues = queues;

    const functionArn = (entry: string) => `arn:aws:lambda:local:000000000000:function:dsf-${entry}`;
    const deps = {} as OrchestrationDeps;
    const workflow = new LocalWorkflow({
      definitionPath: FEATURE_STATE_MACHINE,
      substitutions: {
        ...Object.fromEntries(stepFunctions.map((fn) => [fn.substitution, functionArn(fn.entry)])),
        ...Object.fromEntries(agentTypes.map((type) => [`${capitalize(type)}QueueUrl`, queues.queues[type].url])),
      },
      functions: Object.fromEntries(
        stepFunctions.map((fn) => {
          const limit = pLimit(options.functionConcurrency ?? DEFAULT_FUNCTION_CONCURRENCY);
          return [functionArn(fn.entry), (payload: unknown) => limit(() => fn.create(deps)(payload))];
        }),
      ),
      sendMessage: queues.send,
      logger,
      onExecutionFailed: async (name, failure) => {
        const featureId = featureIdFromExecutionName(name);
        if (featureId) await recordFailure(deps, { featureId, error: { Error: failure.error, Cause: failure.cause } });
      },
      ...(options.timeoutOverrides ? { timeoutOverrides: options.timeoutOverrides } : {}),
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
    });
    resources.workflow = workflow;
    // Without DSF_MODEL the agents replay the bundled demo's scripted sessions: the factory runs
    // offline out of the box, and any other feature's tasks fail with "no scripted session for …".
    const modelEnv = { ...process.env, DSF_MODEL: process.env['DSF_MODEL'] || `scripted:${DEMO_SESSIONS_DIR}` };
    const autoMerge = options.autoMerge ?? process.env['DSF_AUTO_MERGE'] !== '0';
    Object.assign(deps, {
      store,
      workflow,
      logger,
      scheduling: { policy: options.schedulingPolicy ?? 'priority', capacity },
      pullRequests: { host: gitHost, autoMerge },
      planner: createModelPlanner({ env: modelEnv, transcriptFor: () => transcriptSinkFor(transcripts, logger) }),
    });

    const worker = createAgentWorkerHandler({
      ...deps,
      selectAgent:
        options.selectAgent ??
        createAgentSelector({
          env: modelEnv,
          workspaces: new LocalWorkspaceProvider({ host: gitHost }),
          gitHost,
          lock: new DynamoDbLock({ client, tableName, clock: systemClock }),
          ledger: new DynamoDbBudgetLedger({ client, tableName }),
          transcripts,
          logger,
          heartbeatEveryMs: options.heartbeatEveryMs ?? 10_000,
        }),
      attemptTimeoutMs,
    });
    for (const type of agentTypes) {
      const source = new SqsEventSource({
        client: queues.client,
        queueUrl: queues.queues[type].url,
        queueArn: queues.queues[type].arn,
        handler: worker,
        batchSize: 1,
        maxConcurrency: capacity[type],
        logger,
      });
      source.start();
      resources.sources.push(source);
    }

    const apiDeps: ApiDeps = {
      logger,
      clock: systemClock,
      ids,
      store,
      workflow,
      // The bundled example is the repository every fresh local factory has.
      defaults: { repo: process.env['DSF_DEFAULT_REPO'] ?? DEMO_REPO, baseBranch: process.env['DSF_DEFAULT_BASE_BRANCH'] ?? 'main' },
      idempotencyTtlSeconds: 24 * 3600,
      transcripts: { entries: transcripts, bodies: transcriptBodies },
    };
    const webhookSecret = options.webhookSecret ?? process.env['DSF_WEBHOOK_SECRET'];
    const api = createApiGatewayServer([
      ...featureRoutes.map((route) => ({ routeKey: route.routeKey, handler: route.create(apiDeps) })),
      ...repoRoutes.map((route) => ({ routeKey: route.routeKey, handler: route.create({ logger, repositories: gitHost }) })),
      {
        routeKey: 'POST /webhooks/github',
        handler: createGithubWebhookHandler({
          ...apiDeps,
          triggerLabel: process.env['DSF_TRIGGER_LABEL'] ?? 'dsf',
          deliveryTtlSeconds: 7 * 24 * 3600,
          webhookSecret: async () => webhookSecret,
          // Pushes to a base re-integrate feature branches on the same host the agents work on.
          gitHost,
        }),
      },
    ]);
    // --- Dashboard (issue 9): the web UI's static files and the SSE event stream answer first;
    // every other request goes to the API exactly as before. `api` never listens itself.
    const dashboard = createDashboardServer({ store, logger, ...options.dashboard });
    resources.dashboard = dashboard;
    const server = createServer((req, res) => {
      if (!dashboard.handle(req, res)) api.emit('request', req, res);
    });
    // --- end dashboard
    resources.server = server;
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(options.port, options.host ?? '127.0.0.1', () => done());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
    if (options.resume ?? true) await resumeUnfinished(store, workflow, logger);
    logger.info('DSF API listening', { url });
    return { url, logger, store, transcripts, workflow, queues, gitHost, modelId: modelEnv.DSF_MODEL, autoMerge, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * After a crash the local engine has lost its executions (they lived in memory);
 * the store has not. Each unfinished feature gets its execution again: planning
 * is idempotent, finished tasks are not run again, and tasks that were queued or
 * running are dispatched afresh (their messages were in memory too).
 */
async function resumeUnfinished(store: FeatureStore, workflow: LocalWorkflow, logger: Logger): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await store.listFeatures({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const feature of page.items) {
      // pr_open has finished its execution; it waits on people, not on the engine.
      if (isTerminalFeatureStatus(feature.status) || feature.status === 'pr_open' || feature.status === 'needs_human') continue;
      await workflow.startExecution(executionNameForFeature(feature.id), { featureId: feature.id });
      logger.info('resumed feature', { featureId: feature.id, status: feature.status });
    }
    cursor = page.nextCursor;
  } while (cursor);
}

function capitalize(type: AgentType): string {
  return type.charAt(0).toUpperCase() + type.slice(1);
}
