/**
 * Typed domain errors. The HTTP layer maps them to status codes in one place
 * (lambdas/http/problem.ts); nothing else inspects messages.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  constructor(
    readonly entity: 'feature' | 'task',
    readonly id: string,
  ) {
    super(`${entity} ${id} does not exist`);
  }
}

export class IllegalTransitionError extends DomainError {
  readonly code = 'illegal_transition';
  constructor(
    readonly entity: 'feature' | 'task',
    readonly id: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${entity} ${id} cannot go from ${from} to ${to}`);
  }
}

/** The stored item changed between our read and our conditional write, and the caller asked for a specific source status. */
export class StaleStatusError extends DomainError {
  readonly code = 'stale_status';
  constructor(
    readonly entity: 'feature' | 'task',
    readonly id: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${entity} ${id} is ${actual}, expected ${expected}`);
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency_key_reused';
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used with a different request body`);
  }
}

export class AlreadyExistsError extends DomainError {
  readonly code = 'already_exists';
  constructor(
    readonly entity: 'feature' | 'task',
    readonly id: string,
  ) {
    super(`${entity} ${id} already exists`);
  }
}

/** A plan (task DAG) that cannot run: unknown dependency, duplicate id, cycle. */
export class InvalidPlanError extends DomainError {
  readonly code = 'invalid_plan';
  constructor(
    message: string,
    readonly path: (string | number)[],
  ) {
    super(message);
  }
}

export class InvalidCursorError extends DomainError {
  readonly code = 'invalid_cursor';
  constructor() {
    super('cursor is not one this server issued');
  }
}

/** Optimistic writes kept losing to other writers; the caller may retry later. */
export class ConcurrentUpdateError extends DomainError {
  readonly code = 'concurrent_update';
  constructor(
    readonly entity: 'feature' | 'task',
    readonly id: string,
  ) {
    super(`${entity} ${id} is being changed by someone else; try again`);
  }
}
