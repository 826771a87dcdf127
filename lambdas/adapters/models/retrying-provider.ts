import { setTimeout as delay } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { ModelError, type ChatRequest, type ChatResponse, type ModelProvider } from '../../ports/model-provider.js';

export interface RetryPolicy {
  /** Calls in all, the first included. */
  readonly maxAttempts: number;
  /** Ceiling of the first backoff; it doubles per attempt up to `maxDelayMs`, and the wait is drawn below it (full jitter). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A server's Retry-After is honoured up to this; longer asks are cut to it rather than parking an agent for an hour. */
  readonly maxRetryAfterMs: number;
  /** No retry starts once this much time has passed since the first attempt, nor is a wait begun that would end past it. */
  readonly maxTotalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  maxTotalMs: 5 * 60_000,
};

export interface RetryHooks {
  /** Waits between attempts; tests pass one that records instead of sleeping. Must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** In [0, 1): the jitter source. */
  readonly random?: () => number;
  /** Told before each wait, for logs and metrics. */
  readonly onRetry?: (event: { attempt: number; delayMs: number; error: ModelError }) => void;
}

const defaultSleep = (ms: number, signal: AbortSignal | undefined) => delay(ms, undefined, signal ? { signal } : {});

/**
 * Retries a provider's retryable ModelErrors (rate limits, overload, 5xx,
 * timeouts) with exponential backoff and full jitter, waiting at least what
 * the server's Retry-After asks. Everything else (auth, spend limit, bad
 * request, divergence, budget) fails at once: repeating it cannot help, and
 * for a budget would only spend more. Aborting `request.signal` stops both the
 * call and the wait, with the signal's reason.
 */
export function createRetryingProvider(inner: ModelProvider, policy: Partial<RetryPolicy> = {}, hooks: RetryHooks = {}): ModelProvider {
  const settings = { ...defaultRetryPolicy, ...policy };
  const sleep = hooks.sleep ?? defaultSleep;
  const random = hooks.random ?? Math.random;
  return {
    id: inner.id,
    async chat(request: ChatRequest): Promise<ChatResponse> {
      const started = performance.now();
      return pRetry(
        async () => {
          try {
            return await inner.chat(request);
          } catch (error) {
            // p-retry rethrows what AbortError wraps, unchanged: the caller sees the ModelError itself.
            if (!(error instanceof ModelError && error.retryable)) throw new AbortError(asError(error));
            throw error;
          }
        },
        {
          retries: settings.maxAttempts - 1,
          // The waits are ours (below), so p-retry adds none of its own.
          minTimeout: 0,
          maxTimeout: 0,
          ...(request.signal ? { signal: request.signal } : {}),
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft === 0 || !(error instanceof ModelError)) return;
            const backoffCeiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attemptNumber - 1));
            const jittered = Math.floor(random() * backoffCeiling);
            const delayMs = error.retryAfterMs === undefined ? jittered : Math.max(Math.min(error.retryAfterMs, settings.maxRetryAfterMs), jittered);
            // Waiting past the deadline only to be cut off would hide the real error behind a timeout.
            if (performance.now() - started + delayMs > settings.maxTotalMs) throw error;
            hooks.onRetry?.({ attempt: attemptNumber, delayMs, error });
            try {
              await sleep(delayMs, request.signal);
            } catch (sleepError) {
              throw request.signal?.aborted ? request.signal.reason : sleepError;
            }
          },
        },
      );
    },
  };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
