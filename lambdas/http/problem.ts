import { z } from 'zod';
import {
  AlreadyExistsError,
  ConcurrentUpdateError,
  DomainError,
  IdempotencyKeyReusedError,
  IllegalTransitionError,
  InvalidCursorError,
  InvalidPlanError,
  NotFoundError,
  StaleStatusError,
} from '../core/errors.js';

export interface FieldError {
  /** JSON Pointer (RFC 6901) into the request: `/title`, `/tasks/2/dependsOn/0`; query parameters as `?limit`. */
  readonly pointer: string;
  readonly detail: string;
}

/**
 * An error with an HTTP status. 4xx are `expose`d: their detail is written for
 * the client. 5xx are not: the client gets a generic message and the cause
 * goes to the log only.
 */
export class HttpError extends Error {
  readonly expose: boolean;
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extras: { errors?: readonly FieldError[]; type?: string } = {},
    options?: ErrorOptions,
  ) {
    super(detail ?? title, options);
    this.name = 'HttpError';
    this.expose = status < 500;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: readonly FieldError[];
}

const problemType = (slug: string) => `https://dsf.dev/problems/${slug}`;

export function validationError(error: z.ZodError, prefix: '' | '?' = ''): HttpError {
  const pointerOf = (path: readonly PropertyKey[]) =>
    prefix === '?' ? `?${path.map(String).join('.')}` : `/${path.map(String).join('/')}`;
  const errors = error.issues.flatMap((issue) =>
    // An unknown field is reported at the field itself, so clients can point at it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: pointerOf([...issue.path, key]), detail: 'unknown field' }))
      : [{ pointer: pointerOf(issue.path), detail: issue.message }],
  );
  return new HttpError(400, 'Invalid request', 'The request has invalid fields; see errors.', {
    errors,
    type: problemType('validation'),
  });
}

/** The one place where domain errors become HTTP statuses. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError) {
    if (error instanceof NotFoundError) return new HttpError(404, 'Not found', error.message, { type: problemType('not-found') });
    if (error instanceof IllegalTransitionError || error instanceof StaleStatusError) {
      return new HttpError(409, 'Conflict with current status', error.message, { type: problemType('illegal-transition') });
    }
    if (error instanceof IdempotencyKeyReusedError) {
      return new HttpError(409, 'Idempotency key reused', error.message, { type: problemType('idempotency-key-reused') });
    }
    if (error instanceof InvalidPlanError) {
      return new HttpError(400, 'Invalid request', error.message, {
        type: problemType('validation'),
        errors: [{ pointer: `/${error.path.map(String).join('/')}`, detail: error.message }],
      });
    }
    if (error instanceof InvalidCursorError) {
      return new HttpError(400, 'Invalid request', error.message, {
        type: problemType('validation'),
        errors: [{ pointer: '?cursor', detail: error.message }],
      });
    }
    if (error instanceof ConcurrentUpdateError || error instanceof AlreadyExistsError) {
      return new HttpError(409, 'Conflict', error.message, { type: problemType('conflict') });
    }
  }
  return new HttpError(500, 'Internal error', undefined, { type: problemType('internal') }, { cause: error });
}

export function toProblem(error: HttpError, instance?: string): Problem {
  return {
    type: error.extras.type ?? 'about:blank',
    title: error.title,
    status: error.status,
    ...(error.expose && error.detail ? { detail: error.detail } : {}),
    ...(instance ? { instance } : {}),
    ...(error.extras.errors ? { errors: error.extras.errors } : {}),
  };
}
