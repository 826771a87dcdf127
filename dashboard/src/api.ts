import { z } from 'zod';
import { featureSchema } from '../../lambdas/core/feature.js';
import { taskSchema } from '../../lambdas/core/task.js';
import { featureEventSchema, type FeatureEvent } from '../../lambdas/core/feature-event.js';
import { metricsResponseSchema } from '../../lambdas/core/factory-metrics.js';
import type { FeatureRequest } from '../../lambdas/core/new-feature.js';

/**
 * Where the HTTP API lives. Empty means the same origin (the local server serves both);
 * a static deployment against the AWS HTTP API sets VITE_DSF_API_URL at build time.
 */
export const API_BASE = String(import.meta.env['VITE_DSF_API_URL'] ?? '').replace(/\/+$/, '');

export const featureDetailSchema = featureSchema.extend({
  taskSummary: z.record(z.string(), z.number().int().nonnegative()),
});
export type FeatureDetail = z.infer<typeof featureDetailSchema>;
export type FeatureSummary = z.infer<typeof featureSchema>;

/** What the API returns for a task: everything but the workflow's callback token. */
export const publicTaskSchema = taskSchema.omit({ waitToken: true });
export type PublicTask = z.infer<typeof publicTaskSchema>;

const featurePageSchema = z.object({ items: z.array(featureSchema), nextCursor: z.string().optional() });
const taskListSchema = z.object({ items: z.array(publicTaskSchema) });
const eventPageSchema = z.object({ items: z.array(featureEventSchema), lastEventId: z.string().optional() });

/**
 * One line of an agent's transcript, as GET /features/{id}/transcript lists it. Only what the
 * dashboard shows, and kept loose (plain strings for role and kind): a line of a new kind
 * should show as text rather than fail the whole page.
 */
export const transcriptEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  taskId: z.string().optional(),
  role: z.string(),
  attempt: z.number().int().optional(),
  kind: z.string(),
  tool: z.string().optional(),
  body: z.string(),
  isError: z.boolean().optional(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }).optional(),
});
export type TranscriptEntry = z.infer<typeof transcriptEntrySchema>;
const transcriptPageSchema = z.object({ items: z.array(transcriptEntrySchema), nextSeq: z.number().int().optional() });

/** GET /metrics: the same schema the CLI parses it with. */
export type FactoryMetrics = z.infer<typeof metricsResponseSchema>;

const problemSchema = z.object({
  title: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

/** A refused or failed request, with the RFC 9457 problem the API sent when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    options?: ErrorOptions,
  ) {
    super(problem.detail ?? problem.title ?? `The API answered ${status}.`, options);
    this.name = 'ApiError';
  }
}

async function request<S extends z.ZodType>(path: string, schema: S, init: RequestInit = {}): Promise<z.output<S>> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (error) {
    throw new ApiError(0, { title: 'Network error', detail: 'The API cannot be reached. Is the server running?' }, { cause: error });
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const problem = problemSchema.safeParse(body);
    throw new ApiError(response.status, problem.success ? problem.data : { title: response.statusText });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError(response.status, { title: 'Unexpected answer', detail: `GET ${path} answered in a shape this dashboard does not know.` });
  return parsed.data;
}

export const api = {
  listFeatures: (query: { limit?: number; cursor?: string } = {}) => {
    const params = new URLSearchParams({ limit: String(query.limit ?? 50) });
    if (query.cursor) params.set('cursor', query.cursor);
    return request(`/features?${params}`, featurePageSchema);
  },
  getFeature: (id: string) => request(`/features/${encodeURIComponent(id)}`, featureDetailSchema),
  listTasks: async (id: string) => (await request(`/features/${encodeURIComponent(id)}/tasks`, taskListSchema)).items,
  listEvents: (id: string, query: { after?: string; limit?: number } = {}) => {
    const params = new URLSearchParams({ limit: String(query.limit ?? 500) });
    if (query.after) params.set('after', query.after);
    return request(`/features/${encodeURIComponent(id)}/events?${params}`, eventPageSchema);
  },
  submitFeature: (body: FeatureRequest, idempotencyKey: string) =>
    request('/features', featureSchema, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
    }),
  /** One page of a feature's transcript, oldest first; `task` narrows it to one task's agents. */
  listTranscript: (id: string, query: { task?: string; after?: number; limit?: number } = {}) => {
    const params = new URLSearchParams({ limit: String(query.limit ?? 200) });
    if (query.task) params.set('task', query.task);
    if (query.after !== undefined) params.set('after', String(query.after));
    return request(`/features/${encodeURIComponent(id)}/transcript?${params}`, transcriptPageSchema);
  },
  getMetrics: (query: { limit?: number } = {}) => request(`/metrics?limit=${query.limit ?? 100}`, metricsResponseSchema),
  cancelFeature: (id: string) => request(`/features/${encodeURIComponent(id)}/cancel`, featureSchema, { method: 'POST' }),
};

/** Every event of a feature, oldest first (the events endpoint pages by `after`). */
export async function listAllEvents(id: string): Promise<FeatureEvent[]> {
  const events: FeatureEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await api.listEvents(id, { limit: 1000, ...(after ? { after } : {}) });
    events.push(...page.items);
    if (page.items.length < 1000 || !page.lastEventId) return events;
    after = page.lastEventId;
  }
}

/** The SSE endpoint of the local server; the AWS HTTP API has none, and the client then polls. */
export function eventStreamUrl(featureId: string): string {
  return `${API_BASE}/features/${encodeURIComponent(featureId)}/stream`;
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
