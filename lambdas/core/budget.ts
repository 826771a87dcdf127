import { z } from 'zod';
import { ConfigError } from '../config.js';

/**
 * Spending limits for agents. Steps count model calls (they stop a loop that
 * never converges), tokens count input plus output, dollars follow the price
 * table. A task has its own limit and shares its feature's with its siblings.
 */
export const budgetDimensions = ['steps', 'tokens', 'usd'] as const;
export type BudgetDimension = (typeof budgetDimensions)[number];

export const budgetLimitSchema = z.strictObject({
  steps: z.number().int().positive(),
  tokens: z.number().int().positive(),
  usd: z.number().positive(),
});
export type BudgetLimit = z.infer<typeof budgetLimitSchema>;

export interface BudgetLimits {
  readonly task: BudgetLimit;
  readonly feature: BudgetLimit;
}

/** Generous enough for a real code task on a frontier model, small enough that a runaway loop is cheap. */
export const defaultBudgetLimits: BudgetLimits = {
  task: { steps: 100, tokens: 4_000_000, usd: 10 },
  feature: { steps: 1_000, tokens: 40_000_000, usd: 100 },
};

/**
 * An amount in the ledger's units. Dollars are kept as whole micro-dollars so
 * that sums on the store stay exact: adding floats there would let rounding
 * decide whether a reservation fits.
 */
export interface BudgetAmount {
  readonly steps: number;
  readonly tokens: number;
  readonly microUsd: number;
}

export const zeroAmount: BudgetAmount = { steps: 0, tokens: 0, microUsd: 0 };

/** Rounds up: a reservation never undercounts. The epsilon keeps 3e-6 * 1e6 = 3.0000000000000004 at 3. */
export function toMicroUsd(usd: number): number {
  return Math.max(0, Math.ceil(usd * 1_000_000 - 1e-6));
}

export function fromMicroUsd(microUsd: number): number {
  return microUsd / 1_000_000;
}

/** A limit in the ledger's units. */
export function limitAmount(limit: BudgetLimit): BudgetAmount {
  return { steps: limit.steps, tokens: limit.tokens, microUsd: toMicroUsd(limit.usd) };
}

export function addAmounts(a: BudgetAmount, b: BudgetAmount): BudgetAmount {
  return { steps: a.steps + b.steps, tokens: a.tokens + b.tokens, microUsd: a.microUsd + b.microUsd };
}

/** The first dimension in which `used + requested` would pass `limit`, if any. Reaching a limit exactly is allowed. */
export function exceededDimension(used: BudgetAmount, requested: BudgetAmount, limit: BudgetLimit): BudgetDimension | undefined {
  const max = limitAmount(limit);
  if (used.steps + requested.steps > max.steps) return 'steps';
  if (used.tokens + requested.tokens > max.tokens) return 'tokens';
  if (used.microUsd + requested.microUsd > max.microUsd) return 'usd';
  return undefined;
}

/** A dimension's value in the unit people read it in (dollars, not micro-dollars). */
export function readable(amount: BudgetAmount, dimension: BudgetDimension): number {
  return dimension === 'usd' ? fromMicroUsd(amount.microUsd) : amount[dimension];
}

function limitFromEnv(env: Record<string, string | undefined>, name: string, defaults: BudgetLimit): BudgetLimit {
  const text = env[name];
  if (text === undefined || text.trim() === '') return defaults;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError([`${name}: must be JSON like {"steps":100,"tokens":4000000,"usd":10} (any of the three)`]);
  }
  const parsed = budgetLimitSchema.partial().safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${name}${issue.path.map((part) => `.${String(part)}`).join('')}: ${issue.message}`));
  }
  return { ...defaults, ...parsed.data };
}

/**
 * Limits from DSF_BUDGET_TASK and DSF_BUDGET_FEATURE, each JSON with any of
 * `steps`, `tokens`, `usd`; what is left out keeps its default. Both are
 * checked before either is reported, so one run shows every problem.
 */
export function budgetLimitsFromEnv(env: Record<string, string | undefined>, defaults: BudgetLimits = defaultBudgetLimits): BudgetLimits {
  const problems: string[] = [];
  const read = (name: string, fallback: BudgetLimit) => {
    try {
      return limitFromEnv(env, name, fallback);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return fallback;
    }
  };
  const limits = { task: read('DSF_BUDGET_TASK', defaults.task), feature: read('DSF_BUDGET_FEATURE', defaults.feature) };
  if (problems.length > 0) throw new ConfigError(problems);
  return limits;
}
