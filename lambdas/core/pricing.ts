import { z } from 'zod';
import { ConfigError } from '../config.js';

/** USD per million tokens, the unit every provider publishes its list prices in. */
export const modelPriceSchema = z.strictObject({
  input: z.number().min(0),
  output: z.number().min(0),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices (on-demand, no caching or batch discount) of the models the
 * factory is commonly pointed at. Keys are model families: a dated or
 * versioned id (`claude-sonnet-4-5-20250929`, Bedrock's
 * `us.anthropic.claude-sonnet-4-5-20250929-v1:0`) is priced by its longest
 * matching family, so new snapshots need no new row. Prices change; override
 * or extend them with DSF_MODEL_PRICES rather than trusting this table for billing.
 */
export const defaultPriceTable: PriceTable = {
  // Anthropic (the same on the Anthropic API and on Bedrock).
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-opus': { input: 15, output: 75 },
  'claude-3-haiku': { input: 0.25, output: 1.25 },
  // OpenAI.
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  o1: { input: 15, output: 60 },
  // Other Bedrock families.
  'amazon.nova-premier': { input: 2.5, output: 12.5 },
  'amazon.nova-pro': { input: 0.8, output: 3.2 },
  'amazon.nova-lite': { input: 0.06, output: 0.24 },
  'amazon.nova-micro': { input: 0.035, output: 0.14 },
  'meta.llama3-3-70b-instruct': { input: 0.72, output: 0.72 },
  'meta.llama3-1-70b-instruct': { input: 0.72, output: 0.72 },
  'meta.llama3-1-8b-instruct': { input: 0.22, output: 0.22 },
  'mistral.mistral-large-2407': { input: 2, output: 6 },
};

/** Bedrock cross-region inference profiles prefix the model id with a geography. */
const INFERENCE_PROFILE_PREFIX = /^(us|eu|apac|jp|au|ca|us-gov|global)\./;
/** Bedrock names Anthropic's models `anthropic.<name>`; the family is the same as on Anthropic's API. */
const ANTHROPIC_ON_BEDROCK_PREFIX = /^anthropic\./;

/** What a family match may be followed by: nothing, or the start of a date or version suffix. */
const FAMILY_BOUNDARY = new Set(['-', ':', '@']);

export interface CostInput {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface Cost {
  readonly usd: number;
  /** false when no price is known for the model: `usd` is then 0, and budgets in dollars do not see this spend. */
  readonly priced: boolean;
  /** The table row used, when one matched. */
  readonly family?: string;
}

/** The table row for a model id, matched exactly, then by its longest family prefix. */
export function priceOf(modelId: string, table: PriceTable = defaultPriceTable): { family: string; price: ModelPrice } | undefined {
  const candidates = [modelId, modelId.replace(INFERENCE_PROFILE_PREFIX, '')];
  const bare = candidates[1]!.replace(ANTHROPIC_ON_BEDROCK_PREFIX, '');
  if (bare !== candidates[1]) candidates.push(bare);
  for (const id of candidates) {
    const exact = Object.hasOwn(table, id) ? table[id] : undefined;
    if (exact) return { family: id, price: exact };
  }
  let best: { family: string; price: ModelPrice } | undefined;
  for (const id of candidates) {
    for (const [family, price] of Object.entries(table)) {
      if (!id.startsWith(family) || !FAMILY_BOUNDARY.has(id.charAt(family.length))) continue;
      if (!best || family.length > best.family.length) best = { family, price };
    }
  }
  return best;
}

export function costOf(modelId: string, usage: CostInput, table: PriceTable = defaultPriceTable): Cost {
  const match = priceOf(modelId, table);
  if (!match) return { usd: 0, priced: false };
  const usd = (usage.inputTokens * match.price.input + usage.outputTokens * match.price.output) / 1_000_000;
  return { usd, priced: true, family: match.family };
}

const priceOverridesSchema = z.record(z.string().min(1), modelPriceSchema);

/**
 * The default table with DSF_MODEL_PRICES laid over it: JSON like
 * `{"llama3.1:70b":{"input":0,"output":0},"gpt-4.1":{"input":1.8,"output":7}}`,
 * in USD per million tokens. A key may be a family or a full model id.
 */
export function priceTableFromEnv(env: Record<string, string | undefined>): PriceTable {
  const text = env['DSF_MODEL_PRICES'];
  if (text === undefined || text.trim() === '') return defaultPriceTable;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(['DSF_MODEL_PRICES: must be JSON like {"<model>":{"input":3,"output":15}} (USD per million tokens)']);
  }
  const parsed = priceOverridesSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `DSF_MODEL_PRICES${issue.path.map((part) => `.${String(part)}`).join('')}: ${issue.message}`),
    );
  }
  return { ...defaultPriceTable, ...parsed.data };
}
