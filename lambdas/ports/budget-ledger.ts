import { DomainError } from '../core/errors.js';
import { readable, type BudgetAmount, type BudgetDimension, type BudgetLimit, type BudgetLimits } from '../core/budget.js';

/** Whose budget a model call draws on: its task's and, shared with the sibling tasks, its feature's. */
export interface BudgetScope {
  readonly featureId: string;
  readonly taskId: string;
}

/** Held between `reserve` and `settle`: what was set aside, to be replaced by what was used. */
export interface Reservation {
  readonly scope: BudgetScope;
  readonly amount: BudgetAmount;
}

/** What a scope has drawn so far: settled calls, and the estimates of calls still in flight. */
export interface BudgetSpend {
  readonly settled: BudgetAmount;
  readonly reserved: BudgetAmount;
}

/**
 * Spend per task and per feature, shared by every agent of a feature. Calls
 * reserve their worst case before they start, so agents running in parallel
 * cannot together pass a limit: a reservation is checked and recorded in one
 * atomic step per scope. Afterwards `settle` swaps the estimate for the actual
 * use, giving back what was not used. A reservation that is never settled (the
 * worker died) stays counted: budgets err on the side of stopping.
 */
export interface BudgetLedger {
  /** Sets `amount` aside on the task and its feature, or throws BudgetExhaustedError naming the limit it would pass. */
  reserve(scope: BudgetScope, amount: BudgetAmount, limits: BudgetLimits): Promise<Reservation>;
  /**
   * Replaces the reservation by the actual use (steps stay as reserved: the call was made).
   * Unconditional: what was spent was spent, even past a limit; the next reservation is refused. Call once per reservation.
   */
  settle(reservation: Reservation, actual: Pick<BudgetAmount, 'tokens' | 'microUsd'>): Promise<void>;
  taskSpend(featureId: string, taskId: string): Promise<BudgetSpend>;
  featureSpend(featureId: string): Promise<BudgetSpend>;
}

export class BudgetExhaustedError extends DomainError {
  readonly code = 'budget_exhausted';
  constructor(
    readonly scope: 'task' | 'feature',
    /** The task id (for a task) or the feature id. */
    readonly id: string,
    readonly dimension: BudgetDimension,
    /** In readable units (dollars for `usd`): the limit, what was used and reserved before, and what this call asked for. */
    readonly limit: number,
    readonly used: number,
    readonly requested: number,
  ) {
    super(
      `${scope} ${id} budget exhausted: ${dimension} limit ${format(dimension, limit)} would be passed ` +
        `(used ${format(dimension, used)}, this call needs up to ${format(dimension, requested)})`,
    );
  }
}

/** Reservations kept being refused and then finding room (concurrent settles and rollbacks); the caller may try again. */
export class BudgetContentionError extends DomainError {
  readonly code = 'budget_contention';
  constructor(
    readonly featureId: string,
    readonly taskId: string,
  ) {
    super(`budget of task ${taskId} in feature ${featureId} is changing too fast to reserve against; try again`);
  }
}

/** The error for a refused reservation, from amounts in ledger units. */
export function budgetExhausted(
  scope: 'task' | 'feature',
  id: string,
  dimension: BudgetDimension,
  limit: BudgetLimit,
  used: BudgetAmount,
  requested: BudgetAmount,
): BudgetExhaustedError {
  return new BudgetExhaustedError(scope, id, dimension, limit[dimension], readable(used, dimension), readable(requested, dimension));
}

function format(dimension: BudgetDimension, value: number): string {
  return dimension === 'usd' ? `$${value.toFixed(value < 1 ? 4 : 2)}` : String(value);
}
