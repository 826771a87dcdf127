import { z } from 'zod';
import { branchNameSchema, repoNameSchema } from './core/feature.js';

/**
 * Configuration of the API functions, read once per cold start. Every problem
 * is reported at once, so a misconfigured deployment fails with the full list.
 */
export const apiConfigSchema = z.object({
  TABLE_NAME: z.string().min(3),
  /** Only for DynamoDB Local; unset on AWS. */
  DSF_DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().optional(),
  DSF_DEFAULT_REPO: repoNameSchema.default('demo'),
  DSF_DEFAULT_BASE_BRANCH: branchNameSchema.default('main'),
  DSF_IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600),
});
export type ApiConfig = z.infer<typeof apiConfigSchema>;

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
