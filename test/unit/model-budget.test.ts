import { describe, expect, it } from 'vitest';
import { createBudgetedProvider, estimateInputTokens } from '../../lambdas/adapters/models/budgeted-provider.js';
import { createRetryingProvider } from '../../lambdas/adapters/models/retrying-provider.js';
import { MemoryBudgetLedger } from '../../lambdas/adapters/memory/memory-budget-ledger.js';
import { ConfigError } from '../../lambdas/config.js';
import { budgetLimitsFromEnv, defaultBudgetLimits, toMicroUsd, type BudgetLimits } from '../../lambdas/core/budget.js';
import { BudgetExhaustedError } from '../../lambdas/ports/budget-ledger.js';
import { ModelError, type ChatRequest, type ChatResponse, type ModelProvider, type Usage } from '../../lambdas/ports/model-provider.js';

const scope = { featureId: 'feat_01', taskId: 'endpoint' };
const request: ChatRequest = {
  role: 'code',
  system: 'You are the code agent.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(4_000) }] }],
  tools: [],
  maxOutputTokens: 1_000,
};

/** A model that answers every turn with a tool call and the given usage, like an agent that never finishes. */
function endlessModel(id: string, usage: Usage): ModelProvider & { calls: number } {
  const model = {
    id,
    calls: 0,
    async chat(): Promise<ChatResponse> {
      model.calls += 1;
      return { content: [{ type: 'tool_use', id: `t${model.calls}`, name: 'run_tests', input: {} }], stopReason: 'tool_use', usage, model: id.split(':')[1]! };
    },
  };
  return model;
}

const limits = (task: Partial<BudgetLimits['task']>, feature: Partial<BudgetLimits['feature']> = {}): BudgetLimits => ({
  task: { ...defaultBudgetLimits.task, ...task },
  feature: { ...defaultBudgetLimits.feature, ...feature },
});

/** Runs the agent's turns until the model fails, as the agent loop would; returns the error and the turns made. */
async function runUntilFailure(provider: ModelProvider, maxTurns = 1_000): Promise<{ error: unknown; turns: number }> {
  for (let turn = 0; turn < maxTurns; turn++) {
    try {
      await provider.chat(request);
    } catch (error) {
      return { error, turns: turn };
    }
  }
  throw new Error('the budget never ran out');
}

describe('budgeted provider', () => {
  it('fails a task that runs out of steps with budget_exhausted, naming the limit', async () => {
    const ledger = new MemoryBudgetLedger();
    const provider = createBudgetedProvider(endlessModel('anthropic:claude-haiku-4-5', { inputTokens: 1_000, outputTokens: 100 }), {
      ledger,
      scope,
      limits: limits({ steps: 4 }),
    });

    const { error, turns } = await runUntilFailure(provider);

    expect(turns).toBe(4);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ kind: 'budget_exhausted', retryable: false });
    expect((error as Error).message).toBe('task endpoint budget exhausted: steps limit 4 would be passed (used 4, this call needs up to 1)');
    expect((error as Error).cause).toBeInstanceOf(BudgetExhaustedError);
  });

  it('fails a task that runs out of dollars, charging actual usage at the model price', async () => {
    const ledger = new MemoryBudgetLedger();
    // claude-sonnet-4-5: $3 / $15 per million → 10k in + 2k out = $0.06 per turn.
    const provider = createBudgetedProvider(endlessModel('anthropic:claude-sonnet-4-5', { inputTokens: 10_000, outputTokens: 2_000 }), {
      ledger,
      scope,
      limits: limits({ usd: 0.3 }),
    });

    const { error, turns } = await runUntilFailure(provider);

    expect(error).toMatchObject({ kind: 'budget_exhausted', message: expect.stringMatching(/^task endpoint budget exhausted: usd limit \$0\.3000/) });
    // Each reservation's worst case is ≈ $0.018 (≈1k tokens in, the 1k output allowance): it fits after four turns ($0.24), not after five ($0.30).
    expect(turns).toBe(5);
    const spend = await ledger.taskSpend(scope.featureId, scope.taskId);
    expect(spend.settled.microUsd).toBe(turns * toMicroUsd(0.06));
    expect(spend.settled.microUsd).toBeLessThanOrEqual(toMicroUsd(0.3));
    expect(spend.reserved).toEqual({ steps: 0, tokens: 0, microUsd: 0 });
  });

  it('fails on the feature limit shared with the sibling tasks', async () => {
    const ledger = new MemoryBudgetLedger();
    const shared = limits({}, { tokens: 21_000 });
    const model = endlessModel('openai:gpt-4.1-mini', { inputTokens: 4_000, outputTokens: 1_000 });
    const sibling = createBudgetedProvider(model, { ledger, scope: { ...scope, taskId: 'tests' }, limits: shared });
    for (let turn = 0; turn < 4; turn++) await sibling.chat(request);
    const provider = createBudgetedProvider(model, { ledger, scope, limits: shared });

    const { error, turns } = await runUntilFailure(provider);

    expect(turns).toBe(0);
    expect(error).toMatchObject({ kind: 'budget_exhausted', message: expect.stringContaining('feature feat_01 budget exhausted: tokens limit 21000') });
  });

  it('reserves the worst case before the call and settles the actual usage after', async () => {
    const ledger = new MemoryBudgetLedger();
    let reservedDuringCall: unknown;
    const inner: ModelProvider = {
      id: 'anthropic:claude-sonnet-4-5',
      async chat() {
        reservedDuringCall = (await ledger.taskSpend(scope.featureId, scope.taskId)).reserved;
        return { content: [{ type: 'text', text: 'done' }], stopReason: 'end_turn', usage: { inputTokens: 900, outputTokens: 50 }, model: 'claude-sonnet-4-5' };
      },
    };
    const provider = createBudgetedProvider(inner, { ledger, scope, limits: defaultBudgetLimits });

    await provider.chat(request);

    const estimatedInput = estimateInputTokens(request);
    expect(reservedDuringCall).toEqual({
      steps: 1,
      tokens: estimatedInput + 1_000,
      microUsd: toMicroUsd((estimatedInput * 3 + 1_000 * 15) / 1_000_000),
    });
    await expect(ledger.taskSpend(scope.featureId, scope.taskId)).resolves.toEqual({
      settled: { steps: 1, tokens: 950, microUsd: toMicroUsd((900 * 3 + 50 * 15) / 1_000_000) },
      reserved: { steps: 0, tokens: 0, microUsd: 0 },
    });
  });

  it('releases the reservation of a failed call but counts its step', async () => {
    const ledger = new MemoryBudgetLedger();
    const failure = new ModelError('auth', 'bad key');
    const inner: ModelProvider = { id: 'anthropic:claude-sonnet-4-5', chat: async () => Promise.reject(failure) };
    const provider = createBudgetedProvider(inner, { ledger, scope, limits: defaultBudgetLimits });

    await expect(provider.chat(request)).rejects.toBe(failure);

    await expect(ledger.taskSpend(scope.featureId, scope.taskId)).resolves.toEqual({
      settled: { steps: 1, tokens: 0, microUsd: 0 },
      reserved: { steps: 0, tokens: 0, microUsd: 0 },
    });
  });

  it('counts a call retried inside it as one step', async () => {
    const ledger = new MemoryBudgetLedger();
    let attempts = 0;
    const flaky: ModelProvider = {
      id: 'openai:gpt-4.1-mini',
      async chat() {
        attempts += 1;
        if (attempts < 3) throw new ModelError('server', 'HTTP 500');
        return { content: [{ type: 'text', text: 'ok' }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 1 }, model: 'gpt-4.1-mini' };
      },
    };
    const provider = createBudgetedProvider(createRetryingProvider(flaky, {}, { sleep: async () => undefined }), { ledger, scope, limits: defaultBudgetLimits });

    await provider.chat(request);

    expect(attempts).toBe(3);
    await expect(ledger.taskSpend(scope.featureId, scope.taskId)).resolves.toMatchObject({ settled: { steps: 1, tokens: 11 } });
  });

  it('estimates input tokens from the size of everything sent', () => {
    const small = estimateInputTokens({ ...request, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    const withTools = estimateInputTokens({
      ...request,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [{ name: 'write_file', description: 'Write a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } }],
    });

    expect(estimateInputTokens(request)).toBeGreaterThanOrEqual(1_000);
    expect(withTools).toBeGreaterThan(small);
  });
});

describe('budget limits from the environment', () => {
  it('keeps the defaults for what is not set', () => {
    expect(budgetLimitsFromEnv({})).toEqual(defaultBudgetLimits);
    expect(budgetLimitsFromEnv({ DSF_BUDGET_TASK: '{"usd":2.5}', DSF_BUDGET_FEATURE: '{"steps":300,"tokens":1000000}' })).toEqual({
      task: { ...defaultBudgetLimits.task, usd: 2.5 },
      feature: { ...defaultBudgetLimits.feature, steps: 300, tokens: 1_000_000 },
    });
  });

  it('reports every bad variable at once, by name', () => {
    const error = (() => {
      try {
        budgetLimitsFromEnv({ DSF_BUDGET_TASK: 'usd=2', DSF_BUDGET_FEATURE: '{"steps":0,"dollars":5}' });
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^DSF_BUDGET_TASK: must be JSON/),
      expect.stringMatching(/^DSF_BUDGET_FEATURE\.steps: /),
      expect.stringMatching(/^DSF_BUDGET_FEATURE: .*dollars/),
    ]);
  });
});
