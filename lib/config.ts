import { z } from 'zod';
import { branchNameSchema, repoNameSchema } from '../lambdas/core/feature.js';
import { agentTypes, type AgentType } from '../lambdas/core/task.js';
import { defaultAgentCapacity } from '../lambdas/core/scheduling.js';
import { budgetLimitsFromEnv } from '../lambdas/core/budget.js';
import { priceTableFromEnv } from '../lambdas/core/pricing.js';
import { ConfigError } from '../lambdas/config.js';
import { agentRoles, type AgentRole } from '../lambdas/ports/model-provider.js';

/**
 * Deployment configuration, read from CDK context (`-c key=value` or the
 * `context` block of cdk.json). Every key is optional; the defaults below make
 * `npx cdk synth` work on a fresh clone. Context given on the command line
 * arrives as strings, so numbers, booleans and JSON are parsed here.
 */

/** Agents per type when the context names none: the scheduler's own defaults. */
export const defaultAgentConcurrency: Readonly<Record<AgentType, number>> = defaultAgentCapacity;

/** Log retention periods CloudWatch Logs accepts, in days. */
const retentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const booleanFromContext = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]);
const integerFromContext = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const jsonFromContext = z.unknown().transform((value, ctx) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON like {"code":4,"test":2}' });
    return z.NEVER;
  }
});

/** Above 1000 an SQS event source cannot scale further; the account's Lambda concurrency is the real ceiling. */
const agentConcurrencySchema = jsonFromContext.pipe(
  z.strictObject(Object.fromEntries(agentTypes.map((type) => [type, z.number().int().min(1).max(1000).optional()])) as Record<AgentType, z.ZodOptional<z.ZodNumber>>),
);

const audienceSchema = z.union([
  z.array(z.string().min(1)).min(1),
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()).filter((part) => part.length > 0))
    .pipe(z.array(z.string()).min(1, 'must name at least one audience')),
]);

/** A browser origin: scheme, host and optional port, nothing after (what the Origin header carries). */
const originSchema = z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be origins like https://dsf.example.com (scheme, host, optional port; no path)');
const originsSchema = z.union([
  z.array(originSchema),
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()).filter((part) => part.length > 0))
    .pipe(z.array(originSchema)),
]);

export const modelProviders = ['bedrock', 'anthropic', 'openai'] as const;
export type ModelProviderName = (typeof modelProviders)[number];

const modelIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, 'must be a model id like us.anthropic.claude-sonnet-4-20250514-v1:0');

/** `<provider>:<model>` as DSF_MODEL_<ROLE> takes it; `scripted:` is for local runs only. */
const modelSpecSchema = z
  .string()
  .transform((spec, ctx) => {
    const colon = spec.indexOf(':');
    const provider = spec.slice(0, colon);
    const id = spec.slice(colon + 1);
    if (colon === -1 || !(modelProviders as readonly string[]).includes(provider) || !modelIdSchema.safeParse(id).success) {
      ctx.addIssue({ code: 'custom', message: `must be <provider>:<model> with provider ${modelProviders.join(', ')}, like anthropic:claude-sonnet-4-5` });
      return z.NEVER;
    }
    return { provider: provider as ModelProviderName, id };
  });

/** JSON like {"review":"anthropic:claude-opus-4-1"}: a model per agent role, the others use modelProvider:modelId. */
const roleModelsSchema = jsonFromContext.pipe(
  z.strictObject(Object.fromEntries(agentRoles.map((role) => [role, modelSpecSchema.optional()])) as Record<AgentRole, z.ZodOptional<typeof modelSpecSchema>>),
);

/**
 * A JSON setting the functions parse themselves (budgets, prices), checked
 * here with the functions' own parser so a bad value fails `cdk synth`, not the
 * first task. Kept as JSON text: it goes into the environment as is.
 */
const jsonSettingFor = (variable: string, check: (env: Record<string, string>) => unknown) =>
  z.unknown().transform((value, ctx) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    try {
      check({ [variable]: text });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // The parser's problems start with the variable's name; the issue's path names the context key instead.
      for (const problem of error.problems) ctx.addIssue({ code: 'custom', message: problem.slice(variable.length).replace(/^[.:]\s*/, '') });
      return z.NEVER;
    }
    return text;
  });

export const contextSchema = z
  .object({
    /** Deployment name: part of the stack name and of every named resource. */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,15}$/, 'must be 1-16 lowercase letters, digits or dashes, starting with a letter')
      .default('dev'),
    /** How the feature routes authenticate callers: SigV4 (`iam`) or a JWT from an OIDC issuer (`jwt`). */
    authorizer: z.enum(['iam', 'jwt']).default('iam'),
    jwtIssuer: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /** Comma-separated in `-c`, or an array in cdk.json. */
    jwtAudience: audienceSchema.optional(),
    /** Where alarms are e-mailed; without it, alarms still go to the SNS topic. */
    alarmEmail: z.email().optional(),
    /** JSON like {"code":4,"test":2}; types left out keep their default. */
    agentConcurrency: agentConcurrencySchema.optional(),
    modelProvider: z.enum(modelProviders).default('bedrock'),
    /** A Bedrock model id or inference profile id (`us.…`), or the provider's model name. */
    modelId: modelIdSchema.default('us.anthropic.claude-sonnet-4-20250514-v1:0'),
    /** JSON like {"review":"anthropic:claude-opus-4-1"}; roles left out use modelProvider:modelId. */
    roleModels: roleModelsSchema.optional(),
    /** An OpenAI-compatible server's base URL (https) for `openai` models; default api.openai.com. */
    openaiBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /** Per-task and per-feature budgets, JSON like {"steps":100,"tokens":4000000,"usd":10}. */
    budgetTask: jsonSettingFor('DSF_BUDGET_TASK', budgetLimitsFromEnv).optional(),
    budgetFeature: jsonSettingFor('DSF_BUDGET_FEATURE', budgetLimitsFromEnv).optional(),
    /** Prices in USD per million tokens laid over the built-in table, JSON like {"my-model":{"input":3,"output":15}}. */
    modelPrices: jsonSettingFor('DSF_MODEL_PRICES', priceTableFromEnv).optional(),
    githubAppId: z.union([z.number().int().positive().transform(String), z.string().regex(/^\d{1,12}$/, 'must be the numeric GitHub App id')]).optional(),
    /** The App's installation on the owner of the repositories (the number in the installation's settings URL). */
    githubInstallationId: z.union([z.number().int().positive().transform(String), z.string().regex(/^\d{1,12}$/, 'must be the numeric installation id')]).optional(),
    /** The user or organisation that owns the repositories; repositories named without an owner are theirs. */
    githubOwner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, 'must be a GitHub user or organisation name').optional(),
    /** Deletion protection on the table, and RETAIN instead of DESTROY for the data and the logs. Defaults to true for stage `prod`. */
    deletionProtection: booleanFromContext.optional(),
    logRetentionDays: z.coerce
      .number()
      .refine((days) => (retentionDays as readonly number[]).includes(days), `must be one of ${retentionDays.join(', ')}`)
      .default(30),
    /** Steady-state requests per second and burst for the whole HTTP API. */
    apiRateLimit: integerFromContext(1, 10_000).default(20),
    apiBurstLimit: integerFromContext(1, 5_000).default(40),
    /** Browser origins allowed to call the HTTP API (the dashboard's, when hosted apart). Comma-separated in `-c`, or an array in cdk.json. */
    corsAllowedOrigins: originsSchema.default([]),
    schedulingPolicy: z.enum(['priority', 'fifo', 'wave']).default('priority'),
    defaultRepo: repoNameSchema.default('demo'),
    defaultBaseBranch: branchNameSchema.default('main'),
  })
  .superRefine((context, ctx) => {
    const gitHubKeys = ['githubAppId', 'githubInstallationId', 'githubOwner'] as const;
    if (gitHubKeys.some((key) => context[key] !== undefined)) {
      for (const key of gitHubKeys) {
        if (context[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required with the other GitHub App settings (githubAppId, githubInstallationId, githubOwner)' });
      }
    }
    if (context.authorizer !== 'jwt') return;
    if (!context.jwtIssuer) ctx.addIssue({ code: 'custom', path: ['jwtIssuer'], message: 'is required when authorizer=jwt' });
    if (!context.jwtAudience) ctx.addIssue({ code: 'custom', path: ['jwtAudience'], message: 'is required when authorizer=jwt' });
  });

export const contextKeys = Object.keys(contextSchema.shape) as (keyof typeof contextSchema.shape)[];

export type FeatureAuthorizerConfig = { readonly kind: 'iam' } | { readonly kind: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

export interface DsfConfig {
  readonly stage: string;
  readonly authorizer: FeatureAuthorizerConfig;
  readonly alarmEmail?: string;
  readonly agentConcurrency: Readonly<Record<AgentType, number>>;
  readonly model: ModelConfig;
  /** The GitHub App DSF acts as; without it nothing talks to GitHub and the workers run sleep tasks only. */
  readonly github?: { readonly appId: string; readonly installationId: string; readonly owner: string };
  readonly deletionProtection: boolean;
  readonly logRetentionDays: number;
  readonly api: { readonly rateLimit: number; readonly burstLimit: number };
  /** Origins allowed by the HTTP API's CORS configuration; empty means no CORS at all. */
  readonly corsAllowedOrigins: readonly string[];
  readonly schedulingPolicy: 'priority' | 'fifo' | 'wave';
  readonly defaults: { readonly repo: string; readonly baseBranch: string };
}

export interface ModelSpec {
  readonly provider: ModelProviderName;
  readonly id: string;
}

export interface ModelConfig extends ModelSpec {
  /** Roles with a model of their own (DSF_MODEL_<ROLE>). */
  readonly roles?: Readonly<Partial<Record<AgentRole, ModelSpec>>>;
  readonly openaiBaseUrl?: string;
  /** JSON text, validated: DSF_BUDGET_TASK, DSF_BUDGET_FEATURE, DSF_MODEL_PRICES. */
  readonly budgetTask?: string;
  readonly budgetFeature?: string;
  readonly prices?: string;
}

/** Every model the agents may call: the default and each role's. */
export function modelsOf(model: ModelConfig): ModelSpec[] {
  return [{ provider: model.provider, id: model.id }, ...Object.values(model.roles ?? {}).filter((spec): spec is ModelSpec => spec !== undefined)];
}

export class ContextError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid CDK context (set with -c key=value or in cdk.json):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ContextError';
  }
}

/** Validates the context in one pass, so a bad deployment command fails with every problem listed. */
export function parseContext(read: (key: string) => unknown): DsfConfig {
  const raw = Object.fromEntries(contextKeys.map((key) => [key, read(key)]).filter(([, value]) => value !== undefined));
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ContextError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(context)'}: ${issue.message}`));
  }
  const context = parsed.data;
  return {
    stage: context.stage,
    authorizer:
      context.authorizer === 'jwt' ? { kind: 'jwt', issuer: context.jwtIssuer!, audience: context.jwtAudience! } : { kind: 'iam' },
    ...(context.alarmEmail ? { alarmEmail: context.alarmEmail } : {}),
    agentConcurrency: { ...defaultAgentConcurrency, ...withoutUndefined(context.agentConcurrency ?? {}) },
    model: {
      provider: context.modelProvider,
      id: context.modelId,
      ...(context.roleModels && Object.keys(withoutUndefined(context.roleModels)).length > 0 ? { roles: withoutUndefined(context.roleModels) } : {}),
      ...(context.openaiBaseUrl ? { openaiBaseUrl: context.openaiBaseUrl } : {}),
      ...(context.budgetTask ? { budgetTask: context.budgetTask } : {}),
      ...(context.budgetFeature ? { budgetFeature: context.budgetFeature } : {}),
      ...(context.modelPrices ? { prices: context.modelPrices } : {}),
    },
    ...(context.githubAppId && context.githubInstallationId && context.githubOwner
      ? { github: { appId: context.githubAppId, installationId: context.githubInstallationId, owner: context.githubOwner } }
      : {}),
    deletionProtection: context.deletionProtection ?? context.stage === 'prod',
    logRetentionDays: context.logRetentionDays,
    api: { rateLimit: context.apiRateLimit, burstLimit: context.apiBurstLimit },
    corsAllowedOrigins: context.corsAllowedOrigins,
    schedulingPolicy: context.schedulingPolicy,
    defaults: { repo: context.defaultRepo, baseBranch: context.defaultBaseBranch },
  };
}

function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
