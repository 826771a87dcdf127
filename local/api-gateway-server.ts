import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiHandler, ApiResult } from '../lambdas/http/api-handler.js';
import { MAX_BODY_BYTES } from '../lambdas/http/api-handler.js';

export interface LocalRoute {
  readonly routeKey: string;
  readonly handler: ApiHandler;
}

interface CompiledRoute extends LocalRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly paramNames: string[];
}

/** Bytes kept for the handler, which answers 413 for anything over MAX_BODY_BYTES; the rest is drained, not buffered. */
const KEEP_BYTES = MAX_BODY_BYTES + 1;
/** API Gateway's own payload limit: beyond it the request never reaches a function. */
const GATEWAY_LIMIT_BYTES = 10 * 1024 * 1024;

class GatewayPayloadTooLarge extends Error {}

function compile(route: LocalRoute): CompiledRoute {
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const paramNames: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      paramNames.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, method, pattern: new RegExp(`^${source}/?$`), paramNames };
}

function problem(res: ServerResponse, status: number, title: string, detail: string, instance: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail, instance }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size < KEEP_BYTES) chunks.push(chunk.subarray(0, KEEP_BYTES - size));
    size += chunk.length;
    if (size > GATEWAY_LIMIT_BYTES) throw new GatewayPayloadTooLarge();
  }
  return Buffer.concat(chunks);
}

function lambdaContext(requestId: string, functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * A stand-in for API Gateway HTTP API (payload format 2.0): turns each request
 * into the same event API Gateway would send and calls the same handler the
 * Lambda function runs, so the local runtime exercises the production code path.
 */
export function createApiGatewayServer(routes: readonly LocalRoute[]): Server {
  const compiled = routes.map(compile);
  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      const pathMatches = compiled
        .map((route) => ({ route, match: route.pattern.exec(url.pathname) }))
        .filter((candidate) => candidate.match !== null);
      const found = pathMatches.find((candidate) => candidate.route.method === method);
      if (!found) {
        if (pathMatches.length > 0) {
          res.setHeader('allow', pathMatches.map((c) => c.route.method).join(', '));
          return problem(res, 405, 'Method not allowed', `${method} is not allowed on ${url.pathname}`, url.pathname);
        }
        return problem(res, 404, 'Not found', `No route for ${method} ${url.pathname}`, url.pathname);
      }
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (error) {
        if (!(error instanceof GatewayPayloadTooLarge)) throw error;
        res.setHeader('connection', 'close');
        return problem(res, 413, 'Payload too large', 'The request body exceeds the gateway limit.', url.pathname);
      }
      const requestId = randomUUID();
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      const query: Record<string, string> = {};
      for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
      const pathParameters = Object.fromEntries(
        found.route.paramNames.map((name, index) => [name, decodeURIComponent(found.match![index + 1]!)]),
      );
      const now = new Date();
      const event: ApiEvent = {
        version: '2.0',
        routeKey: found.route.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        ...(found.route.paramNames.length > 0 ? { pathParameters } : {}),
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: headers['host'] ?? 'localhost',
          domainPrefix: 'local',
          http: {
            method,
            path: url.pathname,
            protocol: `HTTP/${req.httpVersion}`,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId,
          routeKey: found.route.routeKey,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
        },
        ...(body.length > 0 ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
      };
      let result: ApiResult;
      try {
        result = await found.route.handler(event, lambdaContext(requestId, found.route.routeKey.replace(/\W+/g, '-')));
      } catch {
        // The handlers map their own errors; reaching here means the wrapper itself failed.
        return problem(res, 500, 'Internal error', 'The request could not be handled.', url.pathname);
      }
      const responseHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) responseHeaders[name] = String(value);
      res.writeHead(result.statusCode ?? 200, responseHeaders);
      res.end(result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64') : (result.body ?? ''));
    })().catch(() => {
      if (!res.headersSent) problem(res, 500, 'Internal error', 'The request could not be handled.', req.url ?? '/');
      else res.destroy();
    });
  });
}
