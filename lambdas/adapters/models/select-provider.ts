import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import { ConfigError } from '../../config.js';
import { budgetLimitsFromEnv } from '../../core/budget.js';
import { priceTableFromEnv } from '../../core/pricing.js';
import { taskIdSchema } from '../../core/task.js';
import type { BudgetLedger, BudgetScope } from '../../ports/budget-ledger.js';
import { agentRoles, type AgentRole, type ModelProvider } from '../../ports/model-provider.js';
import { createAnthropicProvider } from './anthropic-provider.js';
import { createBedrockClient, createBedrockProvider } from './bedrock-provider.js';
import { createBudgetedProvider } from './budgeted-provider.js';
import { createOpenAiProvider } from './openai-provider.js';
import { createRetryingProvider, type RetryHooks, type RetryPolicy } from './retrying-provider.js';
import { createScriptedProvider } from './scripted-provider.js';

type Env = Record<string, string | undefined>;

export const modelProviderNames = ['bedrock', 'anthropic', 'openai', 'scripted'] as const;
export type ModelProviderName = (typeof modelProviderNames)[number];

/** Used when DSF_MODEL is unset: Bedrock needs no key on AWS, only the role's permission. */
export const defaultModel = 'bedrock:global.anthropic.claude-sonnet-4-5-20250929-v1:0';

export interface ModelSpec {
  readonly provider: ModelProviderName;
  /** The model id, or for `scripted` the session file or directory. */
  readonly model: string;
  /** Where the spec came from, for error messages: `DSF_MODEL_CODE`, `DSF_MODEL`, or `default`. */
  readonly source: string;
}

const SPEC_SHAPE = 'must be bedrock:<model-id>, anthropic:<model>, openai:<model> or scripted:<path>';

/** `DSF_MODEL_CODE` for the code agent, and so on. */
export function roleModelVariable(role: AgentRole): string {
  return `DSF_MODEL_${role.toUpperCase()}`;
}

function parseSpec(value: string, source: string): ModelSpec | string {
  const colon = value.indexOf(':');
  const prefix = colon === -1 ? '' : value.slice(0, colon);
  const model = colon === -1 ? '' : value.slice(colon + 1).trim();
  if (!(modelProviderNames as readonly string[]).includes(prefix)) {
    // The value itself is not echoed (someone may have pasted a key); a short provider word is safe to show.
    const shown = /^[a-z0-9-]{1,20}$/.test(prefix) ? ` (provider "${prefix}" is not one of them)` : '';
    return `${source}: ${SPEC_SHAPE}${shown}`;
  }
  if (model === '') return `${source}: names no model after "${prefix}:"; ${SPEC_SHAPE}`;
  return { provider: prefix as ModelProviderName, model, source };
}

/** The model spec for a role: its DSF_MODEL_<ROLE>, else DSF_MODEL, else the default. */
export function modelSpecFor(env: Env, role: AgentRole): ModelSpec {
  const roleVariable = roleModelVariable(role);
  const source = nonEmpty(env[roleVariable]) ? roleVariable : nonEmpty(env['DSF_MODEL']) ? 'DSF_MODEL' : 'default';
  const value = source === 'default' ? defaultModel : env[source]!.trim();
  const spec = parseSpec(value, source);
  if (typeof spec === 'string') throw new ConfigError([spec]);
  return spec;
}

const urlVariables = ['ANTHROPIC_BASE_URL', 'OPENAI_BASE_URL'] as const;
/** http(s) only: `localhost:11434` parses as a URL with scheme `localhost:`, which is never what was meant. */
const httpUrlSchema = z.url({ protocol: /^https?$/ });

/**
 * Every model-related variable at once (DSF_MODEL and each role's override,
 * base URLs, prices, budgets), so a misconfigured deployment reports all its
 * problems at the first cold start rather than one per role as agents run.
 */
export function checkModelConfig(env: Env): void {
  const problems: string[] = [];
  for (const variable of ['DSF_MODEL', ...agentRoles.map(roleModelVariable)]) {
    const value = env[variable];
    if (!nonEmpty(value)) continue;
    const spec = parseSpec(value.trim(), variable);
    if (typeof spec === 'string') problems.push(spec);
  }
  for (const variable of urlVariables) {
    const value = env[variable];
    if (nonEmpty(value) && !httpUrlSchema.safeParse(value).success) problems.push(`${variable}: must be a URL like http://127.0.0.1:11434/v1`);
  }
  for (const check of [priceTableFromEnv, budgetLimitsFromEnv]) {
    try {
      check(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

export interface SelectModelProviderOptions {
  readonly env: Env;
  readonly role: AgentRole;
  /** Picks a scripted session per task when the scripted path is a directory. */
  readonly taskId?: string;
  /**
   * Reads a secret by name (Secrets Manager on AWS). Used for the API key when
   * DSF_ANTHROPIC_API_KEY_SECRET_ID or DSF_OPENAI_API_KEY_SECRET_ID is set;
   * otherwise the key comes from ANTHROPIC_API_KEY / OPENAI_API_KEY.
   */
  readonly secrets?: (name: string) => Promise<string | undefined>;
  /** Wraps the provider in the budget decorator (outside the retries) when given. */
  readonly budget?: { readonly ledger: BudgetLedger; readonly scope: BudgetScope };
  readonly retry?: Partial<RetryPolicy>;
  readonly retryHooks?: RetryHooks;
  /** For tests; by default a client with the SDK's own retries off, in AWS_REGION. */
  readonly bedrockClient?: BedrockRuntimeClient;
  /** Where relative scripted paths are read from (default the current directory). */
  readonly baseDir?: string;
}

/**
 * The ModelProvider for one agent role, as configured: the adapter, wrapped in
 * retries, and in the budget when a ledger is given.
 */
export async function selectModelProvider(options: SelectModelProviderOptions): Promise<ModelProvider> {
  const { env } = options;
  checkModelConfig(env);
  const spec = modelSpecFor(env, options.role);
  const base = await adapterFor(spec, options);
  const retrying = createRetryingProvider(base, options.retry, options.retryHooks);
  if (!options.budget) return retrying;
  return createBudgetedProvider(retrying, {
    ledger: options.budget.ledger,
    scope: options.budget.scope,
    limits: budgetLimitsFromEnv(env),
    prices: priceTableFromEnv(env),
  });
}

async function adapterFor(spec: ModelSpec, options: SelectModelProviderOptions): Promise<ModelProvider> {
  const { env } = options;
  switch (spec.provider) {
    case 'bedrock':
      return createBedrockProvider({ modelId: spec.model, client: options.bedrockClient ?? createBedrockClient({ region: env['AWS_REGION'] }) });
    case 'anthropic': {
      const apiKey = await readApiKey(options, 'ANTHROPIC_API_KEY', 'DSF_ANTHROPIC_API_KEY_SECRET_ID');
      if (apiKey === undefined) {
        throw new ConfigError([`ANTHROPIC_API_KEY: required by ${spec.source}=anthropic:… (on AWS, name a secret in DSF_ANTHROPIC_API_KEY_SECRET_ID)`]);
      }
      return createAnthropicProvider({ model: spec.model, apiKey, baseUrl: nonEmpty(env['ANTHROPIC_BASE_URL']) ? env['ANTHROPIC_BASE_URL'] : undefined });
    }
    case 'openai': {
      const baseUrl = nonEmpty(env['OPENAI_BASE_URL']) ? env['OPENAI_BASE_URL'] : undefined;
      const apiKeyValue = await readApiKey(options, 'OPENAI_API_KEY', 'DSF_OPENAI_API_KEY_SECRET_ID');
      // Only OpenAI's own API needs a key for sure; a local server is given none.
      if (apiKeyValue === undefined && baseUrl === undefined) {
        throw new ConfigError([
          `OPENAI_API_KEY: required by ${spec.source}=openai:… against api.openai.com (set OPENAI_BASE_URL for a local OpenAI-compatible server)`,
        ]);
      }
      return createOpenAiProvider({ model: spec.model, apiKey: apiKeyValue, baseUrl });
    }
    case 'scripted':
      return createScriptedProvider(scriptedSessionPath(spec, options), { baseDir: options.baseDir ?? process.cwd() });
  }
}

/** The key from the secret named by `secretIdVariable` when set, else from `variable`. */
async function readApiKey(options: SelectModelProviderOptions, variable: string, secretIdVariable: string): Promise<string | undefined> {
  const secretId = options.env[secretIdVariable];
  if (nonEmpty(secretId)) {
    if (!options.secrets) throw new ConfigError([`${secretIdVariable}: is set, but this runtime has no secrets lookup; set ${variable} instead`]);
    const value = await options.secrets(secretId);
    if (!nonEmpty(value)) throw new ConfigError([`${secretIdVariable}: the secret it names is empty or missing`]);
    return value.trim();
  }
  const value = options.env[variable];
  return nonEmpty(value) ? value.trim() : undefined;
}

/**
 * A file is the session; a directory holds one per task and role:
 * `<taskId>.<role>.jsonl`, else `<taskId>.jsonl`, else `<role>.jsonl`.
 * Returns the path as configured (relative to `baseDir` if it was), so the provider id reads like the setting.
 */
export function scriptedSessionPath(spec: ModelSpec, options: Pick<SelectModelProviderOptions, 'role' | 'taskId' | 'baseDir'>): string {
  const path = resolve(options.baseDir ?? process.cwd(), spec.model);
  if (!existsSync(path)) throw new ConfigError([`${spec.source}: scripted session ${spec.model} does not exist`]);
  if (!statSync(path).isDirectory()) return spec.model;
  // The task id becomes part of a file name: only a well-formed one may, so it cannot point outside the directory.
  if (options.taskId !== undefined && !taskIdSchema.safeParse(options.taskId).success) throw new RangeError(`not a task id: ${JSON.stringify(options.taskId)}`);
  const names = [...(options.taskId ? [`${options.taskId}.${options.role}.jsonl`, `${options.taskId}.jsonl`] : []), `${options.role}.jsonl`];
  for (const name of names) {
    const candidate = join(path, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return join(spec.model, name);
  }
  throw new ConfigError([`${spec.source}: no scripted session for role ${options.role}${options.taskId ? ` of task ${options.taskId}` : ''} in ${spec.model}; tried ${names.join(', ')}`]);
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
