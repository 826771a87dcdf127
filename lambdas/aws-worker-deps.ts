import { GitHubWorkspaceProvider } from './adapters/github/github-workspace.js';
import { DynamoDbBudgetLedger } from './adapters/dynamodb/dynamodb-budget-ledger.js';
import { DynamoDbLock } from './adapters/dynamodb/dynamodb-lock.js';
import { checkModelConfig } from './adapters/models/select-provider.js';
import { createAgentSelector } from './agents/agent-selector.js';
import { createDefaultAgentSelector } from './agents/sleep-agent.js';
import { orchestrationDepsFrom, readSecret, storeFrom } from './aws-deps.js';
import { transcriptsFrom } from './aws-transcript-deps.js';
import { loadConfig, orchestrationConfigSchema } from './config.js';
import { systemClock } from './ports/clock.js';
import type { WorkerDeps } from './use-cases/run-task.js';

/**
 * The agent workers' dependencies on AWS, apart from aws-deps.ts because they
 * bring the agents, the model SDKs and the gates (ESLint, TypeScript): the
 * worker is a container image, the API and state machine functions are zips
 * that must stay small.
 */
type Env = Record<string, string | undefined>;

export function buildAwsWorkerDeps(env: Env = process.env): WorkerDeps {
  const config = loadConfig(orchestrationConfigSchema, env);
  // Every model variable checked at cold start, so a bad DSF_MODEL_REVIEW fails the deploy's first task, not the fifth.
  checkModelConfig(env);
  const stored = storeFrom(config);
  const { gitHub, ...deps } = orchestrationDepsFrom(config, 'dsf-agent-worker', stored);
  const base = { ...deps, attemptTimeoutMs: config.DSF_ATTEMPT_TIMEOUT_MS };
  if (!gitHub) {
    // Without a GitHub App there is nowhere to clone from or push to: only `sleep` tasks can run.
    deps.logger.warn('DSF_GITHUB_APP_ID is not set: the worker runs sleep tasks only; code, test, review and conflict tasks fail');
    return { ...base, selectAgent: createDefaultAgentSelector({ heartbeatEveryMs: config.DSF_HEARTBEAT_EVERY_MS }) };
  }
  const { client } = stored;
  const tableName = config.TABLE_NAME;
  const transcripts = transcriptsFrom(config, client);
  return {
    ...base,
    selectAgent: createAgentSelector({
      env,
      workspaces: new GitHubWorkspaceProvider({
        host: gitHub,
        ...(config.DSF_GITHUB_URL ? { gitBaseUrl: config.DSF_GITHUB_URL } : {}),
      }),
      gitHost: gitHub,
      lock: new DynamoDbLock({ client, tableName, clock: systemClock }),
      ledger: new DynamoDbBudgetLedger({ client, tableName }),
      ...(transcripts ? { transcripts: transcripts.entries } : {}),
      logger: deps.logger,
      heartbeatEveryMs: config.DSF_HEARTBEAT_EVERY_MS,
      // Model API keys (DSF_ANTHROPIC_API_KEY_SECRET_ID, DSF_OPENAI_API_KEY_SECRET_ID) from Secrets Manager, cached five minutes.
      secrets: readSecret,
    }),
  };
}
