import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { exceededDimension, limitAmount, zeroAmount, type BudgetAmount, type BudgetLimit, type BudgetLimits } from '../../core/budget.js';
import {
  BudgetContentionError,
  budgetExhausted,
  type BudgetLedger,
  type BudgetScope,
  type BudgetSpend,
  type Reservation,
} from '../../ports/budget-ledger.js';
import { keys } from './table-design.js';

/** Rounds of "refused, but there is room now" before giving up; each one means a concurrent settle or rollback just ran. */
const MAX_RESERVE_ATTEMPTS = 5;

const counter = z.number().int().default(0);
const budgetItemSchema = z.object({
  steps: counter,
  tokens: counter,
  microUsd: counter,
  reservedSteps: counter,
  reservedTokens: counter,
  reservedMicroUsd: counter,
});

// Names, not bare words, so no attribute ever collides with DynamoDB's reserved words.
const ATTRIBUTE_NAMES = Object.fromEntries(Object.keys(budgetItemSchema.shape).map((name) => [`#${name}`, name]));

type Key = { PK: string; SK: string };

/**
 * BudgetLedger on the single table (see table-design.ts): one item per
 * feature and one per task under `BUDGET#<featureId>`, each holding running
 * totals (settled plus reserved) and the reserved part on its own.
 *
 * A reservation is a conditional ADD on the task item, then on the feature
 * item: each is atomic, so parallel agents cannot pass either limit, and
 * neither contends with a transaction. When the feature refuses, the task's
 * part is taken back; until then a sibling call on the same task may be
 * refused, which errs on the side of stopping, never of overspending.
 */
export class DynamoDbBudgetLedger implements BudgetLedger {
  constructor(private readonly deps: { client: DynamoDBDocumentClient; tableName: string }) {}

  async reserve(scope: BudgetScope, amount: BudgetAmount, limits: BudgetLimits): Promise<Reservation> {
    const taskKey = keys.taskBudget(scope.featureId, scope.taskId);
    const featureKey = keys.featureBudget(scope.featureId);
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
      if (!(await this.tryReserve(taskKey, amount, limits.task))) {
        await this.explainRefusal(taskKey, amount, limits.task, 'task', scope.taskId);
        continue;
      }
      if (await this.tryReserve(featureKey, amount, limits.feature)) return { scope, amount };
      await this.add(taskKey, negate(amount), negate(amount));
      await this.explainRefusal(featureKey, amount, limits.feature, 'feature', scope.featureId);
    }
    throw new BudgetContentionError(scope.featureId, scope.taskId);
  }

  async settle(reservation: Reservation, actual: Pick<BudgetAmount, 'tokens' | 'microUsd'>): Promise<void> {
    const { scope, amount } = reservation;
    const correction: BudgetAmount = { steps: 0, tokens: actual.tokens - amount.tokens, microUsd: actual.microUsd - amount.microUsd };
    await Promise.all([
      this.add(keys.taskBudget(scope.featureId, scope.taskId), correction, negate(amount)),
      this.add(keys.featureBudget(scope.featureId), correction, negate(amount)),
    ]);
  }

  taskSpend(featureId: string, taskId: string): Promise<BudgetSpend> {
    return this.spend(keys.taskBudget(featureId, taskId));
  }

  featureSpend(featureId: string): Promise<BudgetSpend> {
    return this.spend(keys.featureBudget(featureId));
  }

  /** Adds `amount` to the totals and to the reserved part, if the totals stay within `limit`. */
  private async tryReserve(key: Key, amount: BudgetAmount, limit: BudgetLimit): Promise<boolean> {
    const max = limitAmount(limit);
    const room = { steps: max.steps - amount.steps, tokens: max.tokens - amount.tokens, microUsd: max.microUsd - amount.microUsd };
    // A fresh item passes `attribute_not_exists`, so an amount larger than the whole limit is refused here.
    if (room.steps < 0 || room.tokens < 0 || room.microUsd < 0) return false;
    try {
      await this.deps.client.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: key,
          UpdateExpression:
            'ADD #steps :steps, #tokens :tokens, #microUsd :microUsd, #reservedSteps :steps, #reservedTokens :tokens, #reservedMicroUsd :microUsd',
          ConditionExpression: 'attribute_not_exists(PK) OR (#steps <= :stepsRoom AND #tokens <= :tokensRoom AND #microUsd <= :microUsdRoom)',
          ExpressionAttributeNames: ATTRIBUTE_NAMES,
          ExpressionAttributeValues: {
            ':steps': amount.steps,
            ':tokens': amount.tokens,
            ':microUsd': amount.microUsd,
            ':stepsRoom': room.steps,
            ':tokensRoom': room.tokens,
            ':microUsdRoom': room.microUsd,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Throws the BudgetExhaustedError for a refusal; returns when a concurrent release has made room since, so the caller tries again. */
  private async explainRefusal(key: Key, amount: BudgetAmount, limit: BudgetLimit, scope: 'task' | 'feature', id: string): Promise<void> {
    const { totals } = await this.read(key);
    const dimension = exceededDimension(totals, amount, limit);
    if (dimension) throw budgetExhausted(scope, id, dimension, limit, totals, amount);
  }

  /** Unconditional: settling and rolling back record what happened, whatever the limits say. */
  private async add(key: Key, totals: BudgetAmount, reserved: BudgetAmount): Promise<void> {
    await this.deps.client.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: key,
        UpdateExpression:
          'ADD #steps :steps, #tokens :tokens, #microUsd :microUsd, #reservedSteps :reservedSteps, #reservedTokens :reservedTokens, #reservedMicroUsd :reservedMicroUsd',
        ExpressionAttributeNames: ATTRIBUTE_NAMES,
        ExpressionAttributeValues: {
          ':steps': totals.steps,
          ':tokens': totals.tokens,
          ':microUsd': totals.microUsd,
          ':reservedSteps': reserved.steps,
          ':reservedTokens': reserved.tokens,
          ':reservedMicroUsd': reserved.microUsd,
        },
      }),
    );
  }

  private async read(key: Key): Promise<{ totals: BudgetAmount; reserved: BudgetAmount }> {
    const { Item } = await this.deps.client.send(new GetCommand({ TableName: this.deps.tableName, Key: key, ConsistentRead: true }));
    if (!Item) return { totals: zeroAmount, reserved: zeroAmount };
    const item = budgetItemSchema.parse(Item);
    return {
      totals: { steps: item.steps, tokens: item.tokens, microUsd: item.microUsd },
      reserved: { steps: item.reservedSteps, tokens: item.reservedTokens, microUsd: item.reservedMicroUsd },
    };
  }

  private async spend(key: Key): Promise<BudgetSpend> {
    const { totals, reserved } = await this.read(key);
    return {
      settled: { steps: totals.steps - reserved.steps, tokens: totals.tokens - reserved.tokens, microUsd: totals.microUsd - reserved.microUsd },
      reserved,
    };
  }
}

function negate(amount: BudgetAmount): BudgetAmount {
  return { steps: -amount.steps, tokens: -amount.tokens, microUsd: -amount.microUsd };
}
