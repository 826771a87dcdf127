import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { featureRequestSchema } from '../../core/new-feature.js';
import {
  cancelFeature,
  getFeatureDetail,
  listFeatureEvents,
  listFeatures,
  listFeatureTasks,
  submitFeature,
  type FeatureUseCaseDeps,
} from '../../use-cases/features.js';
import { taskIdSchema } from '../../core/task.js';
import { getFactoryMetrics } from '../../use-cases/metrics.js';
import { getFeatureTranscript, type TranscriptReadDeps } from '../../use-cases/transcripts.js';
import { apiHandler, header, json, parseJsonBody, parseQuery, type ApiEvent, type ApiHandler, type RouteDefinition } from '../api-handler.js';
import { HttpError } from '../problem.js';

export interface ApiDeps extends FeatureUseCaseDeps {
  readonly logger: Logger;
  /** Transcript entries and their offloaded bodies; without them GET /features/{id}/transcript answers 404. */
  readonly transcripts?: TranscriptReadDeps;
}

const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1-255 visible ASCII characters');

const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

const eventsQuerySchema = z.strictObject({
  after: z
    .string()
    .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an event id')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

const transcriptQuerySchema = z.strictObject({
  task: taskIdSchema.optional(),
  after: z
    .string()
    .regex(/^\d{1,12}$/, 'must be a seq (a whole number)')
    .transform(Number)
    .optional(),
  // Offloaded entries keep a 2 KB preview and inline ones are at most 16 KB, so 200 entries stay well under Lambda's 6 MB.
  limit: z.coerce.number().int().min(1).max(200).default(100),
  full: z
    .enum(['0', '1', 'false', 'true'], { error: 'must be 1 or 0' })
    .transform((value) => value === '1' || value === 'true')
    .default(false),
});

// Each feature costs two reads and its per-task rows; 200 keeps the answer fast and well under Lambda's 6 MB.
const metricsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `{id}` from the route; any value that is not a feature id cannot name a feature, so it is a 404 downstream. */
function featureId(event: ApiEvent): string {
  const id = event.pathParameters?.['id'];
  if (!id) throw new HttpError(404, 'Not found', 'No feature id in the path.');
  return id;
}

export function createSubmitFeatureHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => {
    const rawKey = header(event, 'idempotency-key');
    let idempotencyKey: string | undefined;
    if (rawKey !== undefined) {
      const parsedKey = idempotencyKeySchema.safeParse(rawKey);
      if (!parsedKey.success) {
        throw new HttpError(400, 'Invalid request', 'The Idempotency-Key header is invalid.', {
          errors: [{ pointer: 'header:Idempotency-Key', detail: parsedKey.error.issues[0]?.message ?? 'invalid' }],
        });
      }
      idempotencyKey = parsedKey.data;
    }
    const request = parseJsonBody(event, featureRequestSchema);
    const { feature, created } = await submitFeature(deps, { request, ...(idempotencyKey ? { idempotencyKey } : {}) });
    deps.logger.info(created ? 'feature submitted' : 'feature submission replayed', { featureId: feature.id, idempotencyKey });
    return json(202, feature, {
      location: `/features/${feature.id}`,
      ...(idempotencyKey && !created ? { 'idempotent-replayed': 'true' } : {}),
    });
  });
}

export function createListFeaturesHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => {
    const query = parseQuery(event, listQuerySchema);
    const page = await listFeatures(deps, query);
    return json(200, page);
  });
}

export function createGetFeatureHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => json(200, await getFeatureDetail(deps, featureId(event))));
}

export function createListFeatureTasksHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => json(200, { items: await listFeatureTasks(deps, featureId(event)) }));
}

export function createListFeatureEventsHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => {
    const query = parseQuery(event, eventsQuerySchema);
    const items = await listFeatureEvents(deps, featureId(event), query);
    return json(200, { items, ...(items.length > 0 ? { lastEventId: items.at(-1)!.id } : {}) });
  });
}

/**
 * Previews by default: `dsf logs` and `--follow` poll this every second and
 * print one line per entry, so they never pay for blob reads. `?full=1` puts
 * the whole bodies in, for `dsf logs --full` and other readers of whole turns.
 */
export function createGetFeatureTranscriptHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => {
    const id = featureId(event);
    const query = parseQuery(event, transcriptQuerySchema);
    if (!deps.transcripts) throw new HttpError(404, 'Not found', 'This server keeps no transcripts.');
    const listing = await getFeatureTranscript({ store: deps.store, transcripts: deps.transcripts }, id, {
      limit: query.limit,
      full: query.full,
      ...(query.task === undefined ? {} : { taskId: query.task }),
      ...(query.after === undefined ? {} : { afterSeq: query.after }),
    });
    return json(200, listing);
  });
}

export function createCancelFeatureHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => {
    const id = featureId(event);
    const feature = await cancelFeature(deps, id);
    deps.logger.info('feature cancelled', { featureId: id });
    return json(200, feature);
  });
}

export function createGetMetricsHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps.logger, async (event) => json(200, await getFactoryMetrics(deps, parseQuery(event, metricsQuerySchema))));
}

/** Every API route, in one table shared by the local server and the CDK stack. */
export const featureRoutes: readonly RouteDefinition<ApiDeps>[] = [
  { routeKey: 'POST /features', entry: 'submit-feature', create: createSubmitFeatureHandler },
  { routeKey: 'GET /features', entry: 'list-features', create: createListFeaturesHandler },
  { routeKey: 'GET /features/{id}', entry: 'get-feature', create: createGetFeatureHandler },
  { routeKey: 'GET /features/{id}/tasks', entry: 'list-feature-tasks', create: createListFeatureTasksHandler },
  { routeKey: 'GET /features/{id}/events', entry: 'list-feature-events', create: createListFeatureEventsHandler },
  { routeKey: 'GET /features/{id}/transcript', entry: 'get-feature-transcript', create: createGetFeatureTranscriptHandler },
  { routeKey: 'POST /features/{id}/cancel', entry: 'cancel-feature', create: createCancelFeatureHandler },
  { routeKey: 'GET /metrics', entry: 'get-metrics', create: createGetMetricsHandler },
];
