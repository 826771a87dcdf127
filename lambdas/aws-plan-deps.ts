import { checkModelConfig } from './adapters/models/select-provider.js';
import { createModelPlanner } from './agents/model-planner.js';
import { orchestrationDepsFrom, readSecret, storeFrom } from './aws-deps.js';
import { transcriptsFrom } from './aws-transcript-deps.js';
import { loadConfig, orchestrationConfigSchema } from './config.js';
import type { OrchestrationDeps } from './use-cases/orchestration.js';
import { transcriptSinkFor } from './use-cases/transcripts.js';

/**
 * The Plan function's dependencies on AWS: the orchestration dependencies plus
 * the LLM planner. Apart from aws-deps.ts because the planner brings the model
 * SDKs (and the S3 client, for transcripts), which the other state machine
 * functions and the API must not bundle.
 */
type Env = Record<string, string | undefined>;

export function buildAwsPlanDeps(env: Env = process.env): OrchestrationDeps {
  const config = loadConfig(orchestrationConfigSchema, env);
  // Checked at cold start, as the worker does: a bad DSF_MODEL_PLANNER fails the first plan with every problem listed,
  // instead of every plan silently falling back to the heuristic planner.
  checkModelConfig(env);
  const stored = storeFrom(config);
  const deps = orchestrationDepsFrom(config, 'dsf-orchestrator', stored);
  const transcripts = transcriptsFrom(config, stored.client);
  return {
    ...deps,
    planner: createModelPlanner({
      env,
      // Model API keys (DSF_ANTHROPIC_API_KEY_SECRET_ID, DSF_OPENAI_API_KEY_SECRET_ID) from Secrets Manager, cached five minutes.
      secrets: readSecret,
      // The planner's turns are feature-level entries (no task id, attempt 0) of the feature's transcript.
      ...(transcripts ? { transcriptFor: () => transcriptSinkFor(transcripts.entries, deps.logger) } : {}),
    }),
  };
}
