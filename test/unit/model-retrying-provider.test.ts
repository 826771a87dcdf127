import { describe, expect, it } from 'vitest';
import { createRetryingProvider } from '../../lambdas/adapters/models/retrying-provider.js';
import { ModelError, type ChatRequest, type ChatResponse, type ModelErrorKind, type ModelProvider } from '../../lambdas/ports/model-provider.js';

const request: ChatRequest = { role: 'code', system: 's', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools: [], maxOutputTokens: 100 };
const answer: ChatResponse = { content: [{ type: 'text', text: 'hello' }], stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 1 }, model: 'm' };

/** A provider that fails with the given errors, in order, then answers. */
function failingThen(errors: Error[]): ModelProvider & { calls: number } {
  const provider = {
    id: 'fake:m',
    calls: 0,
    async chat(): Promise<ChatResponse> {
      const error = errors[provider.calls++];
      if (error) throw error;
      return answer;
    },
  };
  return provider;
}

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('retrying provider', () => {
  it('backs off exponentially with full jitter: each wait is drawn below a doubling ceiling, capped', async () => {
    const inner = failingThen(Array.from({ length: 5 }, () => new ModelError('server', 'HTTP 500')));
    const { waits, sleep } = recorder();
    const provider = createRetryingProvider(inner, { baseDelayMs: 100, maxDelayMs: 500, maxAttempts: 6 }, { sleep, random: () => 0.999 });

    await expect(provider.chat(request)).resolves.toEqual(answer);

    expect(inner.calls).toBe(6);
    expect(waits).toEqual([99, 199, 399, 499, 499]);
  });

  it('draws the wait anywhere from zero (full jitter, not equal jitter)', async () => {
    const { waits, sleep } = recorder();
    const provider = createRetryingProvider(failingThen([new ModelError('overloaded', '529')]), { baseDelayMs: 1_000 }, { sleep, random: () => 0 });

    await provider.chat(request);

    expect(waits).toEqual([0]);
  });

  it('waits at least the Retry-After, but no longer than its cap', async () => {
    const { waits, sleep } = recorder();
    const inner = failingThen([new ModelError('rate_limited', '429', 5_000), new ModelError('rate_limited', '429', 3_600_000)]);
    const provider = createRetryingProvider(inner, { baseDelayMs: 100, maxRetryAfterMs: 60_000, maxTotalMs: 10 * 60_000 }, { sleep, random: () => 0.5 });

    await provider.chat(request);

    expect(waits).toEqual([5_000, 60_000]);
  });

  it('stops after maxAttempts and rejects with the last error', async () => {
    const last = new ModelError('timeout', 'third timeout');
    const inner = failingThen([new ModelError('timeout', 'first'), new ModelError('timeout', 'second'), last, new ModelError('timeout', 'never')]);
    const { sleep } = recorder();
    const provider = createRetryingProvider(inner, { maxAttempts: 3 }, { sleep });

    await expect(provider.chat(request)).rejects.toBe(last);
    expect(inner.calls).toBe(3);
  });

  it('gives up rather than begin a wait that would end past the total time allowed', async () => {
    const error = new ModelError('rate_limited', 'slow down', 30_000);
    const inner = failingThen([error]);
    const { waits, sleep } = recorder();
    const provider = createRetryingProvider(inner, { maxTotalMs: 10_000 }, { sleep });

    await expect(provider.chat(request)).rejects.toBe(error);
    expect(waits).toEqual([]);
    expect(inner.calls).toBe(1);
  });

  it.each<ModelErrorKind>(['auth', 'spend_limit', 'bad_request', 'divergence', 'budget_exhausted'])('never retries %s', async (kind) => {
    const error = new ModelError(kind, `${kind} happened`);
    const inner = failingThen([error]);
    const { waits, sleep } = recorder();
    const provider = createRetryingProvider(inner, {}, { sleep });

    await expect(provider.chat(request)).rejects.toBe(error);
    expect(inner.calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('does not retry errors that are not ModelErrors (bugs), and passes them on unchanged', async () => {
    const bug = new RangeError('index out of range');
    const inner = failingThen([bug]);
    const provider = createRetryingProvider(inner, {}, { sleep: async () => undefined });

    await expect(provider.chat(request)).rejects.toBe(bug);
    expect(inner.calls).toBe(1);
  });

  it('stops waiting when the request is cancelled, with the cancellation reason', async () => {
    const controller = new AbortController();
    const inner = failingThen([new ModelError('rate_limited', '429', 30_000)]);
    const provider = createRetryingProvider(inner);
    const reason = new Error('feature cancelled');

    const pending = provider.chat({ ...request, signal: controller.signal }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(reason);

    expect(await pending).toBe(reason);
    expect(inner.calls).toBe(1);
  });

  it('tells onRetry about each wait', async () => {
    const events: Array<{ attempt: number; delayMs: number; kind: string }> = [];
    const provider = createRetryingProvider(failingThen([new ModelError('server', 'a'), new ModelError('overloaded', 'b')]), { baseDelayMs: 10 }, {
      sleep: async () => undefined,
      random: () => 0.5,
      onRetry: ({ attempt, delayMs, error }) => events.push({ attempt, delayMs, kind: error.kind }),
    });

    await provider.chat(request);

    expect(events).toEqual([
      { attempt: 1, delayMs: 5, kind: 'server' },
      { attempt: 2, delayMs: 10, kind: 'overloaded' },
    ]);
  });

  it('keeps the inner provider id', () => {
    expect(createRetryingProvider(failingThen([])).id).toBe('fake:m');
  });
});
