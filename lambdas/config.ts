import { z } from 'zod';
import { branchNameSchema, repoNameSchema } from './core/feature.js';

/** Agents per type as JSON, like {"code":4,"test":2}; types left out keep their default. */
const agentConcurrencySchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON like {"code":4,"test":2}' });
      return z.NEVER;
    }
  })
  .pipe(z.object({ code: z.number().int().min(1), test: z.number().int().min(1), review: z.number().int().min(1), conflict: z.number().int().min(1) }).partial());

/** S3's bucket naming rules, so a typo fails at cold start instead of at the first large transcript body. */
const bucketNameSchema = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');

/** Where transcript bodies over the inline limit go; without it the functions store no transcripts. */
const transcriptConfig = {
  DSF_TRANSCRIPT_BUCKET: bucketNameSchema.optional(),
  /** Transcript entries expire (DynamoDB TTL) after this many days, like their bodies under the bucket's lifecycle rule. */
  DSF_TRANSCRIPT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
};

/**
 * The GitHub App DSF acts as (pull requests, issue comments, the agents' clones
 * and pushes). All of it or none: without it the functions run without GitHub
 * (see gitHubAppFrom).
 */
const gitHubAppConfig = {
  DSF_GITHUB_APP_ID: z.string().regex(/^\d{1,12}$/, 'must be the numeric GitHub App id').optional(),
  DSF_GITHUB_INSTALLATION_ID: z.coerce.number().int().positive().optional(),
  /** Owner of repositories named without one ("demo" → `<owner>/demo`). */
  DSF_GITHUB_OWNER: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be a GitHub user or organisation name').optional(),
  /** Name or ARN of the Secrets Manager secret that holds the App's private key (never the key itself). */
  DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID: z.string().min(1).optional(),
  /** GitHub Enterprise Server: its API URL (https://<host>/api/v3) and web URL (https://<host>); default github.com. */
  DSF_GITHUB_API_URL: z.url({ protocol: /^https$/ }).optional(),
  DSF_GITHUB_URL: z.url({ protocol: /^https$/ }).optional(),
};

export interface GitHubAppConfig {
  readonly appId: string;
  readonly installationId: number;
  readonly owner: string;
  readonly privateKeySecretId: string;
  readonly apiUrl?: string;
  readonly webUrl?: string;
}

/**
 * The GitHub App settings, or undefined when DSF_GITHUB_APP_ID is unset. Set,
 * it needs the installation, the owner and the key's secret: a half-configured
 * App fails at cold start with everything missing listed.
 */
export function gitHubAppFrom(config: { [K in keyof typeof gitHubAppConfig]?: z.output<(typeof gitHubAppConfig)[K]> }): GitHubAppConfig | undefined {
  if (config.DSF_GITHUB_APP_ID === undefined) return undefined;
  const required = ['DSF_GITHUB_INSTALLATION_ID', 'DSF_GITHUB_OWNER', 'DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID'] as const;
  const missing = required.filter((key) => config[key] === undefined);
  if (missing.length > 0) throw new ConfigError(missing.map((key) => `${key}: is required when DSF_GITHUB_APP_ID is set`));
  return {
    appId: config.DSF_GITHUB_APP_ID,
    installationId: config.DSF_GITHUB_INSTALLATION_ID!,
    owner: config.DSF_GITHUB_OWNER!,
    privateKeySecretId: config.DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID!,
    ...(config.DSF_GITHUB_API_URL ? { apiUrl: config.DSF_GITHUB_API_URL } : {}),
    ...(config.DSF_GITHUB_URL ? { webUrl: config.DSF_GITHUB_URL } : {}),
  };
}

/**
 * Configuration of the API functions, read once per cold start. Every problem
 * is reported at once, so a misconfigured deployment fails with the full list.
 */
export const apiConfigSchema = z.object({
  TABLE_NAME: z.string().min(3),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  /** Only for DynamoDB Local; unset on AWS. */
  DSF_DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().optional(),
  DSF_DEFAULT_REPO: repoNameSchema.default('demo'),
  DSF_DEFAULT_BASE_BRANCH: branchNameSchema.default('main'),
  DSF_IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600),
  ...transcriptConfig,
});
export type ApiConfig = z.infer<typeof apiConfigSchema>;

/** Configuration of the state machine's functions and the agent workers. */
export const orchestrationConfigSchema = z.object({
  TABLE_NAME: z.string().min(3),
  DSF_DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().optional(),
  /** Agents per type; the same numbers as the workers' event source maximum concurrency. */
  DSF_AGENT_CONCURRENCY: agentConcurrencySchema.default({}),
  DSF_SCHEDULING_POLICY: z.enum(['priority', 'fifo', 'wave']).default('priority'),
  DSF_HEARTBEAT_EVERY_MS: z.coerce.number().int().min(100).default(60_000),
  /** One attempt's budget; keep it under the worker function's timeout. */
  DSF_ATTEMPT_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(13 * 60_000),
  ...transcriptConfig,
  ...gitHubAppConfig,
});
export type OrchestrationConfig = z.infer<typeof orchestrationConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    // Name the variable and the rule, never the value: a value may be a secret.
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return parsed.data;
}

/** Configuration of the GitHub webhook function. */
export const webhookConfigSchema = apiConfigSchema.extend({
  /** Name or ARN of the Secrets Manager secret that holds the webhook secret (never the secret itself). */
  DSF_WEBHOOK_SECRET_ID: z.string().min(1),
  DSF_TRIGGER_LABEL: z.string().min(1).max(50).default('dsf'),
  DSF_DELIVERY_TTL_SECONDS: z.coerce.number().int().min(3600).default(7 * 24 * 3600),
  ...gitHubAppConfig,
});
