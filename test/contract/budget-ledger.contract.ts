import { beforeEach, describe, expect, it } from 'vitest';
import { toMicroUsd, type BudgetAmount, type BudgetLimits } from '../../lambdas/core/budget.js';
import { BudgetExhaustedError, type BudgetLedger } from '../../lambdas/ports/budget-ledger.js';

const roomy = { steps: 1_000, tokens: 1_000_000, usd: 100 };
const limits = (task: Partial<BudgetLimits['task']> = {}, feature: Partial<BudgetLimits['feature']> = {}): BudgetLimits => ({
  task: { ...roomy, ...task },
  feature: { ...roomy, ...feature },
});
const call = (tokens: number, usd = 0): BudgetAmount => ({ steps: 1, tokens, microUsd: toMicroUsd(usd) });

/** The one behavioural contract of BudgetLedger: in memory and on DynamoDB Local. */
export function describeBudgetLedgerContract(name: string, make: () => Promise<BudgetLedger>): void {
  describe(`BudgetLedger contract: ${name}`, () => {
    let ledger: BudgetLedger;
    let counter = 0;
    const featureId = () => `feat-${Date.now()}-${counter++}`;

    beforeEach(async () => {
      ledger = await make();
    });

    it('reports nothing spent for a scope it has never seen', async () => {
      const feature = featureId();

      await expect(ledger.taskSpend(feature, 'code')).resolves.toEqual({
        settled: { steps: 0, tokens: 0, microUsd: 0 },
        reserved: { steps: 0, tokens: 0, microUsd: 0 },
      });
      await expect(ledger.featureSpend(feature)).resolves.toEqual({
        settled: { steps: 0, tokens: 0, microUsd: 0 },
        reserved: { steps: 0, tokens: 0, microUsd: 0 },
      });
    });

    it('holds a reservation on the task and its feature until it is settled with the actual use', async () => {
      const feature = featureId();
      const scope = { featureId: feature, taskId: 'code' };

      const reservation = await ledger.reserve(scope, call(5_000, 0.05), limits());
      const during = await ledger.taskSpend(feature, 'code');
      await ledger.settle(reservation, { tokens: 1_200, microUsd: toMicroUsd(0.012) });

      expect(during).toEqual({ settled: { steps: 0, tokens: 0, microUsd: 0 }, reserved: { steps: 1, tokens: 5_000, microUsd: 50_000 } });
      const settled = { settled: { steps: 1, tokens: 1_200, microUsd: 12_000 }, reserved: { steps: 0, tokens: 0, microUsd: 0 } };
      await expect(ledger.taskSpend(feature, 'code')).resolves.toEqual(settled);
      await expect(ledger.featureSpend(feature)).resolves.toEqual(settled);
    });

    it('gives the unused part of a reservation back, so a later call fits again', async () => {
      const feature = featureId();
      const scope = { featureId: feature, taskId: 'code' };
      const tight = limits({ tokens: 10_000 });

      const first = await ledger.reserve(scope, call(8_000), tight);
      await expect(ledger.reserve(scope, call(8_000), tight)).rejects.toBeInstanceOf(BudgetExhaustedError);
      await ledger.settle(first, { tokens: 1_000, microUsd: 0 });

      await expect(ledger.reserve(scope, call(8_000), tight)).resolves.toMatchObject({ amount: { tokens: 8_000 } });
    });

    it('refuses a reservation that would pass a task limit, naming the task and the limit', async () => {
      const feature = featureId();
      const scope = { featureId: feature, taskId: 'tests' };
      const settled = await ledger.reserve(scope, call(100, 0.9), limits({ usd: 1 }));
      await ledger.settle(settled, { tokens: 100, microUsd: toMicroUsd(0.9) });

      const refusal = await ledger.reserve(scope, call(100, 0.2), limits({ usd: 1 })).catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(BudgetExhaustedError);
      expect(refusal).toMatchObject({ scope: 'task', id: 'tests', dimension: 'usd', limit: 1, used: 0.9, requested: 0.2 });
      expect((refusal as Error).message).toMatch(/task tests budget exhausted: usd limit \$1\.00/);
      await expect(ledger.taskSpend(feature, 'tests')).resolves.toMatchObject({ settled: { steps: 1, microUsd: 900_000 }, reserved: { steps: 0 } });
    });

    it('counts steps, and refuses the step after the last allowed one', async () => {
      const feature = featureId();
      const scope = { featureId: feature, taskId: 'review' };
      const threeSteps = limits({ steps: 3 });

      for (let step = 0; step < 3; step++) await ledger.settle(await ledger.reserve(scope, call(10), threeSteps), { tokens: 10, microUsd: 0 });

      await expect(ledger.reserve(scope, call(10), threeSteps)).rejects.toMatchObject({ scope: 'task', dimension: 'steps', limit: 3, used: 3 });
    });

    it('refuses a reservation that would pass the feature limit shared by its tasks, and leaves the task untouched', async () => {
      const feature = featureId();
      const shared = limits({}, { tokens: 1_000 });
      await ledger.reserve({ featureId: feature, taskId: 'a' }, call(700), shared);

      const refusal = await ledger.reserve({ featureId: feature, taskId: 'b' }, call(400), shared).catch((error: unknown) => error);

      expect(refusal).toMatchObject({ scope: 'feature', id: feature, dimension: 'tokens', limit: 1_000, used: 700, requested: 400 });
      await expect(ledger.taskSpend(feature, 'b')).resolves.toEqual({
        settled: { steps: 0, tokens: 0, microUsd: 0 },
        reserved: { steps: 0, tokens: 0, microUsd: 0 },
      });
      await expect(ledger.featureSpend(feature)).resolves.toMatchObject({ reserved: { tokens: 700 } });
    });

    it('refuses a single call larger than the whole limit', async () => {
      const feature = featureId();

      await expect(ledger.reserve({ featureId: feature, taskId: 'code' }, call(5_000), limits({ tokens: 4_000 }))).rejects.toMatchObject({
        scope: 'task',
        dimension: 'tokens',
        used: 0,
        requested: 5_000,
      });
    });

    it('keeps a settle that passes the limit (it was spent) and refuses what comes after', async () => {
      const feature = featureId();
      const scope = { featureId: feature, taskId: 'code' };
      const reservation = await ledger.reserve(scope, call(1_000), limits({ tokens: 2_000 }));

      await ledger.settle(reservation, { tokens: 2_500, microUsd: 0 });

      await expect(ledger.taskSpend(feature, 'code')).resolves.toMatchObject({ settled: { tokens: 2_500 } });
      await expect(ledger.reserve(scope, call(1), limits({ tokens: 2_000 }))).rejects.toMatchObject({ dimension: 'tokens', used: 2_500 });
    });

    it('lets exactly 5 of 20 concurrent reservations through a task limit that fits 5', async () => {
      const feature = featureId();
      const scope = { featureId: feature, taskId: 'code' };
      const fitsFive = limits({ tokens: 5_000 });

      const results = await Promise.allSettled(Array.from({ length: 20 }, () => ledger.reserve(scope, call(1_000), fitsFive)));

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
      const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(refusals).toHaveLength(15);
      for (const refusal of refusals) expect(refusal).toBeInstanceOf(BudgetExhaustedError);
      await expect(ledger.taskSpend(feature, 'code')).resolves.toMatchObject({ reserved: { steps: 5, tokens: 5_000 } });
      await expect(ledger.featureSpend(feature)).resolves.toMatchObject({ reserved: { steps: 5, tokens: 5_000 } });
    });

    it('lets exactly 5 of 20 concurrent reservations from four tasks through a feature limit that fits 5', async () => {
      const feature = featureId();
      const fitsFive = limits({}, { usd: 5 });

      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => ledger.reserve({ featureId: feature, taskId: `task-${i % 4}` }, call(10, 1), fitsFive)),
      );

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
      await expect(ledger.featureSpend(feature)).resolves.toMatchObject({ reserved: { steps: 5, microUsd: 5_000_000 } });
      const perTask = await Promise.all([0, 1, 2, 3].map((i) => ledger.taskSpend(feature, `task-${i}`)));
      expect(perTask.reduce((sum, spend) => sum + spend.reserved.steps, 0)).toBe(5);
    });
  });
}
