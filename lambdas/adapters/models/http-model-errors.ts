import { ModelError } from '../../ports/model-provider.js';

/** What the Anthropic and OpenAI SDKs tell us about a failed HTTP call. */
export interface HttpFailure {
  readonly status: number;
  readonly headers?: { get(name: string): string | null } | undefined;
  /** The body's `error.type`, e.g. `overloaded_error`, `billing_error`, `insufficient_quota`. */
  readonly type?: string | null | undefined;
  /** The body's `error.code`, e.g. `insufficient_quota`, `context_length_exceeded`. */
  readonly code?: string | null | undefined;
  readonly message: string;
}

const SPEND_LIMIT_MARKERS = new Set(['billing_error', 'insufficient_quota', 'billing_hard_limit_reached', 'billing_not_active', 'credit_balance_too_low']);
/**
 * Spend limits do not all have a code: Anthropic reports a low credit balance
 * as a plain invalid_request_error, and some OpenAI-compatible gateways answer
 * 429 with only a message. Retrying those would never help, so we read the message.
 */
const SPEND_LIMIT_MESSAGE = /credit balance|exceeded your current quota|insufficient[_ ]quota|billing|spend(ing)? limit|usage limit/i;

/** A `Retry-After` (seconds or an HTTP date) or `retry-after-ms` header, in milliseconds. */
export function retryAfterMsFrom(headers: HttpFailure['headers'], now: number = Date.now()): number | undefined {
  const milliseconds = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = headers?.get('retry-after');
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** One mapping from an HTTP failure of a model API to a ModelError kind, shared by the HTTP adapters. */
export function modelErrorFromHttp(provider: string, failure: HttpFailure, cause?: unknown): ModelError {
  const { status } = failure;
  const message = `${provider}: HTTP ${status}: ${failure.message}`;
  const options = cause === undefined ? undefined : { cause };
  const retryAfterMs = retryAfterMsFrom(failure.headers);
  const marked = [failure.type, failure.code].some((marker) => marker !== null && marker !== undefined && SPEND_LIMIT_MARKERS.has(marker));
  if (status === 402 || marked || ((status === 400 || status === 403 || status === 429) && SPEND_LIMIT_MESSAGE.test(failure.message))) {
    return new ModelError('spend_limit', message, undefined, options);
  }
  if (status === 401 || status === 403) return new ModelError('auth', message, undefined, options);
  if (status === 429) return new ModelError('rate_limited', message, retryAfterMs, options);
  if (status === 529 || failure.type === 'overloaded_error') return new ModelError('overloaded', message, retryAfterMs, options);
  if (status === 408 || status === 504) return new ModelError('timeout', message, retryAfterMs, options);
  if (status >= 500) return new ModelError('server', message, retryAfterMs, options);
  return new ModelError('bad_request', message, undefined, options);
}
