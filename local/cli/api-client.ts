import { z } from 'zod';
import { featureSchema, type Feature } from '../../lambdas/core/feature.js';
import { featureEventSchema } from '../../lambdas/core/feature-event.js';
import type { FeatureRequest } from '../../lambdas/core/new-feature.js';
import { taskSchema } from '../../lambdas/core/task.js';
import { metricsResponseSchema } from '../../lambdas/core/factory-metrics.js';

const count = z.number().int().nonnegative();

export const taskSummarySchema = z.object({
  total: count,
  pending: count,
  waiting: count,
  queued: count,
  running: count,
  succeeded: count,
  failed: count,
  cancelled: count,
  skipped: count,
});
export type TaskSummary = z.infer<typeof taskSummarySchema>;

export const featureDetailSchema = featureSchema.extend({ taskSummary: taskSummarySchema });
export type FeatureDetail = z.infer<typeof featureDetailSchema>;

export const featurePageSchema = z.object({
  items: z.array(featureSchema),
  nextCursor: z.string().optional(),
});
export type FeaturePage = z.infer<typeof featurePageSchema>;

export const taskListSchema = z.object({ items: z.array(taskSchema) });
export type TaskList = z.infer<typeof taskListSchema>;

export const eventPageSchema = z.object({
  items: z.array(featureEventSchema),
  lastEventId: z.string().optional(),
});
export type EventPage = z.infer<typeof eventPageSchema>;

export { metricsResponseSchema };
export type MetricsResponse = z.infer<typeof metricsResponseSchema>;

/** RFC 9457 problem details, as lambdas/http/problem.ts writes them. */
export const problemSchema = z.object({
  type: z.string().optional(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

/** The server answered with an error status. The message is one line, with field pointers when the server gave them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Nothing answered at the base URL (refused, DNS, reset). */
export class ConnectionError extends Error {
  constructor(
    readonly baseUrl: string,
    options?: ErrorOptions,
  ) {
    super(`cannot reach DSF at ${baseUrl} — is it running? (npm start)`, options);
    this.name = 'ConnectionError';
  }
}

/** The server answered 2xx with a body that does not match the contract: a version mismatch, or not DSF at all. */
export class UnexpectedResponseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnexpectedResponseError';
  }
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
}

export interface SubmitResult {
  readonly feature: Feature;
  /** Absolute URL of the feature, from the Location header. */
  readonly url: string;
  /** True when an earlier request with the same Idempotency-Key had already created it. */
  readonly replayed: boolean;
}

export type ApiClient = ReturnType<typeof createApiClient>;

export type JsonRequest = <S extends z.ZodType>(
  method: 'GET' | 'POST',
  path: string,
  schema: S,
  init?: { body?: unknown; headers?: Record<string, string> },
) => Promise<{ data: z.output<S>; response: Response }>;

/**
 * The one way the CLI talks to the API: JSON in and out, every answer parsed
 * with its schema, problem+json turned into a one-line ApiError, a refused
 * connection into ConnectionError. Every client of the CLI builds on it.
 */
export function createJsonRequest(options: ApiClientOptions): { baseUrl: string; request: JsonRequest } {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  async function request<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ data: z.output<S>; response: Response }> {
    let response: Response;
    try {
      response = await options.fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json, application/problem+json',
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    } catch (error) {
      throw new ConnectionError(baseUrl, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) throw apiError(response, text);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new UnexpectedResponseError(`unexpected response from ${method} ${path}: not JSON`, { cause: error });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `/${issue.path.map(String).join('/')}: ` : '';
      throw new UnexpectedResponseError(`unexpected response from ${method} ${path}: ${where}${issue?.message ?? 'invalid'}`, {
        cause: parsed.error,
      });
    }
    return { data: parsed.data, response };
  }

  return { baseUrl, request };
}

export function createApiClient(options: ApiClientOptions) {
  const { baseUrl, request } = createJsonRequest(options);

  const featurePath = (id: string) => `/features/${encodeURIComponent(id)}`;

  return {
    baseUrl,

    async submitFeature(body: FeatureRequest, submitOptions: { idempotencyKey?: string } = {}): Promise<SubmitResult> {
      const { data, response } = await request('POST', '/features', featureSchema, {
        body,
        ...(submitOptions.idempotencyKey ? { headers: { 'idempotency-key': submitOptions.idempotencyKey } } : {}),
      });
      const location = response.headers.get('location') ?? featurePath(data.id);
      return {
        feature: data,
        url: new URL(location, `${baseUrl}/`).toString(),
        replayed: response.headers.get('idempotent-replayed') === 'true',
      };
    },

    async listFeatures(query: { limit?: number; cursor?: string } = {}): Promise<FeaturePage> {
      const params = new URLSearchParams();
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.cursor !== undefined) params.set('cursor', query.cursor);
      const qs = params.size > 0 ? `?${params}` : '';
      return (await request('GET', `/features${qs}`, featurePageSchema)).data;
    },

    async getFeature(id: string): Promise<FeatureDetail> {
      return (await request('GET', featurePath(id), featureDetailSchema)).data;
    },

    async listTasks(id: string): Promise<TaskList> {
      return (await request('GET', `${featurePath(id)}/tasks`, taskListSchema)).data;
    },

    async listEvents(id: string, query: { after?: string; limit?: number } = {}): Promise<EventPage> {
      const params = new URLSearchParams();
      if (query.after !== undefined) params.set('after', query.after);
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      const qs = params.size > 0 ? `?${params}` : '';
      return (await request('GET', `${featurePath(id)}/events${qs}`, eventPageSchema)).data;
    },

    async getMetrics(query: { limit?: number } = {}): Promise<MetricsResponse> {
      const qs = query.limit === undefined ? '' : `?limit=${query.limit}`;
      return (await request('GET', `/metrics${qs}`, metricsResponseSchema)).data;
    },

    async cancelFeature(id: string): Promise<Feature> {
      return (await request('POST', `${featurePath(id)}/cancel`, featureSchema)).data;
    },
  };
}

function apiError(response: Response, text: string): ApiError {
  let problem: Problem | undefined;
  try {
    const parsed = problemSchema.safeParse(JSON.parse(text));
    if (parsed.success) problem = parsed.data;
  } catch {
    // Not JSON (a proxy's HTML error page, say): fall back to the status line.
  }
  if (!problem) {
    return new ApiError(response.status, undefined, `${response.status} ${response.statusText || 'HTTP error'}`.trim());
  }
  const fields = problem.errors?.map((error) => `${error.pointer || '(body)'}: ${error.detail}`).join('; ');
  const explanation = fields || problem.detail;
  return new ApiError(response.status, problem, `${problem.status} ${problem.title}${explanation ? `: ${explanation}` : ''}`);
}
