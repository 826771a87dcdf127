import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/config.js';
import { costOf, defaultPriceTable, priceOf, priceTableFromEnv } from '../../lambdas/core/pricing.js';

const million = { inputTokens: 1_000_000, outputTokens: 1_000_000 };

describe('pricing', () => {
  it.each([
    ['claude-sonnet-4-5', 'claude-sonnet-4-5', 18],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5', 18],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5', 18],
    ['global.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5', 6],
    ['anthropic.claude-3-haiku-20240307-v1:0', 'claude-3-haiku', 1.5],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1', 90],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini', 0.75],
    ['gpt-4o-2024-08-06', 'gpt-4o', 12.5],
    ['gpt-4.1-mini', 'gpt-4.1-mini', 2],
    ['o3-mini', 'o3-mini', 5.5],
    ['amazon.nova-pro-v1:0', 'amazon.nova-pro', 4],
  ])('prices %s as %s', (modelId, family, usd) => {
    const cost = costOf(modelId, million);

    expect(cost).toEqual({ usd: expect.closeTo(usd, 9), priced: true, family });
  });

  it('charges input and output at their own rates', () => {
    expect(costOf('claude-sonnet-4-5', { inputTokens: 2_000, outputTokens: 500 }).usd).toBeCloseTo(0.006 + 0.0075, 12);
  });

  it('does not take a longer name for a family it merely starts with', () => {
    expect(priceOf('gpt-4.1-turbo-preview')?.family).toBe('gpt-4.1');
    expect(priceOf('gpt-4omni')).toBeUndefined();
    expect(priceOf('o1x')).toBeUndefined();
  });

  it('costs an unknown model nothing, and says it is unpriced', () => {
    expect(costOf('llama3.1:8b', million)).toEqual({ usd: 0, priced: false });
  });

  it('lays DSF_MODEL_PRICES over the table', () => {
    const table = priceTableFromEnv({ DSF_MODEL_PRICES: '{"llama3.1:70b":{"input":0.5,"output":0.5},"gpt-4.1":{"input":1,"output":4}}' });

    expect(costOf('llama3.1:70b', million)).toMatchObject({ priced: false });
    expect(costOf('llama3.1:70b', million, table)).toEqual({ usd: 1, priced: true, family: 'llama3.1:70b' });
    expect(costOf('gpt-4.1-2025-04-14', million, table).usd).toBe(5);
    expect(costOf('claude-sonnet-4-5', million, table).usd).toBe(18);
  });

  it('uses the default table when DSF_MODEL_PRICES is unset or blank', () => {
    expect(priceTableFromEnv({})).toBe(defaultPriceTable);
    expect(priceTableFromEnv({ DSF_MODEL_PRICES: '  ' })).toBe(defaultPriceTable);
  });

  it('rejects DSF_MODEL_PRICES that is not JSON, naming the variable', () => {
    expect(() => priceTableFromEnv({ DSF_MODEL_PRICES: '{gpt-4.1: 2}' })).toThrow(ConfigError);
    expect(() => priceTableFromEnv({ DSF_MODEL_PRICES: '{gpt-4.1: 2}' })).toThrow(/DSF_MODEL_PRICES: must be JSON/);
  });

  it('rejects a malformed price, naming the model and the field', () => {
    const error = (() => {
      try {
        priceTableFromEnv({ DSF_MODEL_PRICES: '{"gpt-4.1":{"input":-1,"output":"8"}}' });
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^DSF_MODEL_PRICES\.gpt-4\.1\.input: /),
      expect.stringMatching(/^DSF_MODEL_PRICES\.gpt-4\.1\.output: /),
    ]);
  });
});
