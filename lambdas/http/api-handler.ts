import middy, { type MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { HttpError, toHttpError, toProblem, validationError } from './problem.js';

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type ApiHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/** The largest JSON body we accept. Step Functions caps payloads at 256 KiB, and a feature request has no reason to be bigger. */
export const MAX_BODY_BYTES = 256 * 1024;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Reads, size-checks and parses a JSON body, then validates it: 413, 415 and 400 as problem+json. */
export function parseJsonBody<S extends z.ZodType>(event: ApiEvent, schema: S): z.output<S> {
  const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError(413, 'Payload too large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new HttpError(415, 'Unsupported media type', 'Send the body as application/json.');
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'Invalid request', 'The body is not valid JSON.', { errors: [{ pointer: '', detail: 'malformed JSON' }] });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(event: ApiEvent, schema: S): z.output<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw validationError(parsed.error, '?');
  return parsed.data;
}

export function header(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Maps any error to RFC 9457 problem+json; 5xx keep their cause in the log and tell the client nothing more. */
function problemJsonErrors(logger: Logger): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const httpError = toHttpError(request.error);
      if (httpError.status >= 500) {
        logger.error('request failed', { error: request.error as Error, ...requestKeys(request.event) });
      } else {
        logger.info('request refused', { status: httpError.status, detail: httpError.detail, ...requestKeys(request.event) });
      }
      request.response = {
        statusCode: httpError.status,
        headers: { 'content-type': 'application/problem+json' },
        body: JSON.stringify(toProblem(httpError, request.event.rawPath)),
      };
    },
  };
}

/**
 * Keys logged with each line of a request. Passed per call rather than appended
 * to the logger, because the local server runs requests concurrently on one logger.
 */
function requestKeys(event: ApiEvent) {
  return { requestId: event.requestContext?.requestId, route: event.routeKey, path: event.rawPath };
}

function requestLogging(logger: Logger): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    after: async (request) => {
      logger.debug('request served', { status: request.response?.statusCode, ...requestKeys(request.event) });
    },
  };
}

/** Wraps a route's logic in the shared middleware chain; every API entry point goes through here. */
export function apiHandler(logger: Logger, handle: (event: ApiEvent) => Promise<ApiResult>): ApiHandler {
  return middy<ApiEvent, ApiResult>()
    .use(requestLogging(logger))
    .use(problemJsonErrors(logger))
    .handler(async (event) => handle(event)) as unknown as ApiHandler;
}

/** One API route: its API Gateway route key, the Lambda entry folder under lambdas/, and the handler factory. */
export interface RouteDefinition<Deps> {
  /** API Gateway route key, e.g. `GET /features/{id}`. */
  readonly routeKey: string;
  /** Folder of the Lambda entry under lambdas/ (the CDK stack builds one function per route it deploys). */
  readonly entry: string;
  readonly create: (deps: Deps) => ApiHandler;
}
