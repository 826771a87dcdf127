import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Agents } from './agents.js';
import { Api } from './api.js';
import { modelsOf, type DsfConfig } from './config.js';
import { Observability } from './observability.js';
import { gitHubSteps, Orchestrator } from './orchestrator.js';
import { Queues } from './queues.js';
import { Secrets } from './secrets.js';
import { Storage } from './storage.js';

/** Lambda's maximum; an agent attempt is long work (clone, model calls, checks). */
export const WORKER_TIMEOUT = Duration.minutes(15);
/** Left to the worker after the agent's budget: recording the outcome, completing the callback, releasing dependents. */
export const WORKER_SETTLE_MARGIN = Duration.minutes(2);
/** Well inside the Dispatch states' HeartbeatSeconds (300), so one lost heartbeat does not time a live task out. */
export const WORKER_HEARTBEAT_EVERY = Duration.seconds(60);

export interface DsfStackProps extends StackProps {
  readonly config: DsfConfig;
}

/** DSF on AWS: one construct per concern, wired here. */
export class DsfStack extends Stack {
  readonly storage: Storage;
  readonly queues: Queues;
  readonly secrets: Secrets;
  readonly orchestrator: Orchestrator;
  readonly api: Api;
  readonly agents: Agents;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: DsfStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.storage = new Storage(this, 'Storage', { deletionProtection: config.deletionProtection });
    this.queues = new Queues(this, 'Queues', { workerTimeout: WORKER_TIMEOUT });
    const providers = new Set(modelsOf(config.model).map((model) => model.provider));
    this.secrets = new Secrets(this, 'Secrets', {
      stage: config.stage,
      modelApiKeys: { anthropic: providers.has('anthropic'), openai: providers.has('openai') },
      removalPolicy,
    });

    const models = { model: config.model, secrets: this.secrets };
    const orchestrationEnvironment = {
      TABLE_NAME: this.storage.table.tableName,
      DSF_AGENT_CONCURRENCY: JSON.stringify(config.agentConcurrency),
      DSF_SCHEDULING_POLICY: config.schedulingPolicy,
      DSF_HEARTBEAT_EVERY_MS: String(WORKER_HEARTBEAT_EVERY.toMilliseconds()),
      DSF_ATTEMPT_TIMEOUT_MS: String(WORKER_TIMEOUT.minus(WORKER_SETTLE_MARGIN).toMilliseconds()),
    };
    this.orchestrator = new Orchestrator(this, 'Orchestrator', {
      stage: config.stage,
      storage: this.storage,
      queues: this.queues,
      models,
      environment: orchestrationEnvironment,
      logRetention,
      removalPolicy,
    });
    this.api = new Api(this, 'Api', {
      stage: config.stage,
      storage: this.storage,
      orchestrator: this.orchestrator,
      secrets: this.secrets,
      authorizer: config.authorizer,
      throttle: config.api,
      corsAllowedOrigins: config.corsAllowedOrigins,
      environment: {
        DSF_DEFAULT_REPO: config.defaults.repo,
        DSF_DEFAULT_BASE_BRANCH: config.defaults.baseBranch,
        DSF_IDEMPOTENCY_TTL_SECONDS: String(Duration.days(1).toSeconds()),
      },
      logRetention,
      removalPolicy,
    });
    this.agents = new Agents(this, 'Agents', {
      storage: this.storage,
      queues: this.queues,
      models,
      concurrency: config.agentConcurrency,
      environment: orchestrationEnvironment,
      timeout: WORKER_TIMEOUT,
      logRetention,
      removalPolicy,
    });
    if (config.github) {
      // The functions that call GitHub: the workers (clone, push, integrate), the steps that open pull
      // requests or comment on the feature's issue, and the webhook (commands, re-integration).
      const gitHubUsers = [
        ...Object.values(this.agents.workers),
        ...gitHubSteps.map((entry) => this.orchestrator.stepFunctions[entry]!),
        this.api.webhookFunction,
      ];
      for (const fn of gitHubUsers) this.secrets.grantGitHubApp(fn, config.github);
    }
    this.observability = new Observability(this, 'Observability', {
      stage: config.stage,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      agentQueues: this.queues.byAgentType,
      otherDeadLetterQueues: { FailureEvents: this.orchestrator.failureEventsDeadLetterQueue },
      stateMachine: this.orchestrator.stateMachine,
      httpApi: this.api.httpApi,
      workers: this.agents.workers,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the DSF HTTP API' });
    new CfnOutput(this, 'WebhookUrl', { value: `${this.api.url}webhooks/github`, description: 'Payload URL to set on the GitHub App' });
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });
    for (const secret of this.secrets.all) new CfnOutput(this, `${secret.node.id}SecretName`, { value: secret.secretName });
  }
}
