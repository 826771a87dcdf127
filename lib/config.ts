import { z } from 'zod';
import { branchNameSchema, repoNameSchema } from '../lambdas/core/feature.js';
import { agentTypes, type AgentType } from '../lambdas/core/task.js';
import { defaultAgentCapacity } from '../lambdas/core/scheduling.js';

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
    modelId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, 'must be a model id like us.anthropic.claude-sonnet-4-20250514-v1:0')
      .default('us.anthropic.claude-sonnet-4-20250514-v1:0'),
    githubAppId: z.union([z.number().int().positive().transform(String), z.string().regex(/^\d{1,12}$/, 'must be the numeric GitHub App id')]).optional(),
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
  readonly model: { readonly provider: (typeof modelProviders)[number]; readonly id: string };
  readonly githubAppId?: string;
  readonly deletionProtection: boolean;
  readonly logRetentionDays: number;
  readonly api: { readonly rateLimit: number; readonly burstLimit: number };
  /** Origins allowed by the HTTP API's CORS configuration; empty means no CORS at all. */
  readonly corsAllowedOrigins: readonly string[];
  readonly schedulingPolicy: 'priority' | 'fifo' | 'wave';
  readonly defaults: { readonly repo: string; readonly baseBranch: string };
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
    model: { provider: context.modelProvider, id: context.modelId },
    ...(context.githubAppId ? { githubAppId: context.githubAppId } : {}),
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
