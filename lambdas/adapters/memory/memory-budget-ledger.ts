import { addAmounts, exceededDimension, zeroAmount, type BudgetAmount, type BudgetLimits } from '../../core/budget.js';
import { budgetExhausted, type BudgetLedger, type BudgetScope, type BudgetSpend, type Reservation } from '../../ports/budget-ledger.js';

interface Account {
  total: BudgetAmount;
  reserved: BudgetAmount;
}

/**
 * BudgetLedger for one process (unit tests, the in-memory local runtime).
 * `reserve` checks and records both scopes without awaiting in between, which
 * is what makes it atomic on Node's single thread.
 */
export class MemoryBudgetLedger implements BudgetLedger {
  private readonly accounts = new Map<string, Account>();

  async reserve(scope: BudgetScope, amount: BudgetAmount, limits: BudgetLimits): Promise<Reservation> {
    const task = this.account(taskKey(scope.featureId, scope.taskId));
    const feature = this.account(featureKey(scope.featureId));
    const overTask = exceededDimension(task.total, amount, limits.task);
    if (overTask) throw budgetExhausted('task', scope.taskId, overTask, limits.task, task.total, amount);
    const overFeature = exceededDimension(feature.total, amount, limits.feature);
    if (overFeature) throw budgetExhausted('feature', scope.featureId, overFeature, limits.feature, feature.total, amount);
    for (const account of [task, feature]) {
      account.total = addAmounts(account.total, amount);
      account.reserved = addAmounts(account.reserved, amount);
    }
    return { scope, amount };
  }

  async settle(reservation: Reservation, actual: Pick<BudgetAmount, 'tokens' | 'microUsd'>): Promise<void> {
    const { scope, amount } = reservation;
    const correction: BudgetAmount = { steps: 0, tokens: actual.tokens - amount.tokens, microUsd: actual.microUsd - amount.microUsd };
    const release: BudgetAmount = { steps: -amount.steps, tokens: -amount.tokens, microUsd: -amount.microUsd };
    for (const account of [this.account(taskKey(scope.featureId, scope.taskId)), this.account(featureKey(scope.featureId))]) {
      account.total = addAmounts(account.total, correction);
      account.reserved = addAmounts(account.reserved, release);
    }
  }

  async taskSpend(featureId: string, taskId: string): Promise<BudgetSpend> {
    return spendOf(this.accounts.get(taskKey(featureId, taskId)));
  }

  async featureSpend(featureId: string): Promise<BudgetSpend> {
    return spendOf(this.accounts.get(featureKey(featureId)));
  }

  private account(key: string): Account {
    let account = this.accounts.get(key);
    if (!account) {
      account = { total: zeroAmount, reserved: zeroAmount };
      this.accounts.set(key, account);
    }
    return account;
  }
}

// JSON arrays keep ids apart whatever characters they contain.
const taskKey = (featureId: string, taskId: string) => JSON.stringify(['task', featureId, taskId]);
const featureKey = (featureId: string) => JSON.stringify(['feature', featureId]);

function spendOf(account: Account | undefined): BudgetSpend {
  if (!account) return { settled: zeroAmount, reserved: zeroAmount };
  const { total, reserved } = account;
  return {
    settled: { steps: total.steps - reserved.steps, tokens: total.tokens - reserved.tokens, microUsd: total.microUsd - reserved.microUsd },
    reserved,
  };
}
