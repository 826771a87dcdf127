import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { modelsOf, type DsfConfig } from './config.js';
import type { DsfFunction } from './dsf-function.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';
import type { Secrets } from './secrets.js';

/** Cross-region inference profiles (`us.anthropic…`) route to the same foundation model in other regions. */
const inferenceProfilePattern = /^(us|eu|apac|us-gov|jp|au|ca|global)\.(.+)$/;

/** The configured models and the secrets holding their vendors' API keys: what a function needs to call a model. */
export interface ModelAccess {
  readonly model: DsfConfig['model'];
  readonly secrets: Secrets;
}

/**
 * Lets a function call the configured models, as lambdas/adapters/models/select-provider.ts
 * selects them: the model variables and the key secrets' ARNs in its environment, read
 * access to those secrets, and InvokeModel on each configured Bedrock model. The agent
 * workers and the Plan function (the planner role) get exactly this.
 */
export function grantModelUse(fn: DsfFunction, access: ModelAccess): void {
  const environment = { ...modelEnvironmentOf(access.model), ...access.secrets.modelKeyEnvironment };
  for (const [name, value] of Object.entries(environment)) fn.function.addEnvironment(name, value);
  access.secrets.grantModelKeysRead(fn);
  const bedrockModels = [...new Set(modelsOf(access.model).filter((model) => model.provider === 'bedrock').map((model) => model.id))];
  const statements = bedrockModels.flatMap((modelId) => bedrockInvokeStatements(fn, modelId));
  for (const statement of statements) fn.role.addToPrincipalPolicy(statement);
  acknowledgeBedrockWildcards(fn, statements);
}

/** The variables lambdas/adapters/models/select-provider.ts reads: DSF_MODEL, DSF_MODEL_<ROLE>, budgets, prices. */
export function modelEnvironmentOf(model: DsfConfig['model']): Record<string, string> {
  return {
    DSF_MODEL: `${model.provider}:${model.id}`,
    ...Object.fromEntries(Object.entries(model.roles ?? {}).map(([role, spec]) => [`DSF_MODEL_${role.toUpperCase()}`, `${spec.provider}:${spec.id}`])),
    ...(model.openaiBaseUrl ? { OPENAI_BASE_URL: model.openaiBaseUrl } : {}),
    ...(model.budgetTask ? { DSF_BUDGET_TASK: model.budgetTask } : {}),
    ...(model.budgetFeature ? { DSF_BUDGET_FEATURE: model.budgetFeature } : {}),
    ...(model.prices ? { DSF_MODEL_PRICES: model.prices } : {}),
  };
}

/**
 * bedrock:InvokeModel also authorizes Converse, InvokeModelWithResponseStream
 * also ConverseStream. A plain model id is one ARN in this region; an inference
 * profile needs the profile and the model in every region the profile routes
 * to, and the condition keeps the latter usable through this profile only.
 */
function bedrockInvokeStatements(fn: DsfFunction, modelId: string): iam.PolicyStatement[] {
  const stack = Stack.of(fn);
  const actions = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
  const profile = inferenceProfilePattern.exec(modelId);
  if (!profile) {
    return [new iam.PolicyStatement({ actions, resources: [`arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${modelId}`] })];
  }
  const profileArn = `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${modelId}`;
  return [
    new iam.PolicyStatement({ actions, resources: [profileArn] }),
    new iam.PolicyStatement({
      actions,
      resources: [`arn:${stack.partition}:bedrock:*::foundation-model/${profile[2]}`],
      conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
    }),
  ];
}

function acknowledgeBedrockWildcards(fn: DsfFunction, statements: readonly iam.PolicyStatement[]): void {
  for (const resource of statements.flatMap((statement) => statement.resources).filter((arn) => arn.includes(':bedrock:*:'))) {
    acknowledge(
      fn,
      wildcardResourceFinding(fn, resource),
      'A cross-region inference profile sends requests to the same foundation model in any region of its geography; the statement is conditioned on bedrock:InferenceProfileArn, so the model is usable only through the configured profile.',
    );
  }
}
