import { monotonicFactory } from 'ulid';
import type { IdSource } from '../ports/clock.js';

/** Monotonic within the process, so events written in the same millisecond keep their order. */
export function createUlidIdSource(): IdSource {
  const next = monotonicFactory();
  return { ulid: () => next() };
}
