import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFeatureStore } from '../../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import type { TaskResult } from '../../lambdas/core/task.js';
import type { ApiDeps } from '../../lambdas/http/routes/feature-routes.js';
import { metricsResponseSchema, type MetricsResponse } from '../../local/cli/api-client.js';
import { ids, ManualClock, sampleFeature, silentLogger } from '../support/fixtures.js';
import { freshTable } from '../support/dynamodb.js';
import { serveApi } from '../support/api-server.js';
import { RecordingWorkflow } from '../support/recording-workflow.js';

let url: string;
let close: () => Promise<void>;
let destroyClient: () => void;
const clock = new ManualClock(new Date('2026-11-25T10:00:00.000Z'));
const featureIds: Record<'delivered' | 'failed' | 'waiting', string> = { delivered: '', failed: '', waiting: '' };

/** Moves the manual clock to `seconds` after 10:00:00. */
const at = (seconds: number) => clock.advance(Date.parse('2026-11-25T10:00:00.000Z') + seconds * 1000 - clock.now().getTime());

const usage = (inputTokens: number, outputTokens: number, costUsd: number, calls: number) => ({ inputTokens, outputTokens, costUsd, calls });

/**
 * Three features in a table of their own, driven through the store on a manual clock:
 * - delivered: three tasks, `tests` and `docs` in parallel after `endpoint`, gates passed, PR open at 5 min;
 * - failed: failed while planning, one minute after it was created;
 * - waiting: still queued when the metrics are read at 16 min.
 */
beforeAll(async () => {
  const { client, tableName } = await freshTable('metrics');
  destroyClient = () => client.destroy();
  const store = new DynamoDbFeatureStore({ client, tableName, clock, ids });

  at(0);
  const delivered = sampleFeature(clock);
  featureIds.delivered = delivered.feature.id;
  await store.createFeature(delivered);
  const id = delivered.feature.id;
  await store.transitionFeature(id, { to: 'planning' });
  await store.transitionFeature(id, { to: 'running' });
  const task = async (taskId: string, to: 'queued' | 'running' | 'succeeded', result?: TaskResult) =>
    store.transitionTask(id, taskId, { to, ...(to === 'running' ? { countAttempt: true } : {}), ...(result ? { result } : {}) });
  await task('endpoint', 'queued');
  at(10);
  await task('endpoint', 'running');
  at(130);
  await task('endpoint', 'succeeded', { summary: 'route added', usage: usage(1000, 200, 0.01, 2) });
  await task('tests', 'queued');
  await task('docs', 'queued');
  at(140);
  await task('tests', 'running');
  at(150);
  await task('docs', 'running');
  at(250);
  await task('docs', 'succeeded', { summary: 'documented', conflictsResolved: ['README.md'] });
  at(260);
  await task('tests', 'succeeded', {
    summary: 'tested and gated',
    usage: usage(500, 100, 0.005, 1),
    gate: { passed: true, gates: [{ gate: 'coverage', status: 'passed', value: 85, threshold: 80 }], markdown: '## Gates', fixAttempts: 0 },
  });
  await store.transitionFeature(id, { to: 'gating' });
  at(300);
  await store.transitionFeature(id, { to: 'pr_open', pullRequest: { number: 1 } });

  const failed = sampleFeature(clock);
  featureIds.failed = failed.feature.id;
  await store.createFeature(failed);
  await store.transitionFeature(failed.feature.id, { to: 'planning' });
  at(360);
  await store.transitionFeature(failed.feature.id, { to: 'failed', reason: 'the planner gave up' });

  const waiting = sampleFeature(clock);
  featureIds.waiting = waiting.feature.id;
  await store.createFeature(waiting);
  at(960);

  const deps: ApiDeps = {
    logger: silentLogger(),
    clock,
    ids,
    store,
    workflow: new RecordingWorkflow(),
    defaults: { repo: 'demo', baseBranch: 'main' },
    idempotencyTtlSeconds: 3600,
  };
  ({ url, close } = await serveApi(deps));
});

afterAll(async () => {
  await close?.();
  destroyClient?.();
});

async function getMetrics(query = ''): Promise<MetricsResponse> {
  const response = await fetch(`${url}/metrics${query}`);
  expect(response.status).toBe(200);
  return metricsResponseSchema.parse(await response.json());
}

describe('GET /metrics', () => {
  it('measures every recent feature, newest first, from its tasks and events', async () => {
    const metrics = await getMetrics();

    expect(metrics.generatedAt).toBe('2026-11-25T10:16:00.000Z');
    expect(metrics.features.map((feature) => [feature.featureId, feature.status])).toEqual([
      [featureIds.waiting, 'queued'],
      [featureIds.failed, 'failed'],
      [featureIds.delivered, 'pr_open'],
    ]);
    const [waiting, failed, delivered] = metrics.features;
    expect(delivered).toMatchObject({
      leadTimeSeconds: 300,
      tasks: { total: 3, succeeded: 3, failed: 0 },
      tasksPerHour: 36,
      // endpoint 10→130, tests 140→260, docs 150→250; queued 0→10, 130→140, 130→150.
      agentSeconds: 340,
      queuedSeconds: 40,
      maxParallelism: 2,
      usage: { inputTokens: 1500, outputTokens: 300, costUsd: 0.015, calls: 3 },
      conflictsResolved: ['README.md'],
      coverage: { after: 85 },
      gatePassed: true,
    });
    expect(failed).toMatchObject({ leadTimeSeconds: 60, tasks: { total: 3, succeeded: 0, failed: 0 }, agentSeconds: 0, maxParallelism: 0 });
    expect(failed).not.toHaveProperty('gatePassed');
    // Still open: its lead time runs to now.
    expect(waiting).toMatchObject({ leadTimeSeconds: 600, createdAt: '2026-11-25T10:06:00.000Z' });
  });

  it('totals them: statuses, delivered lead time, throughput, agent time, usage and gate pass rate', async () => {
    const { totals } = await getMetrics();

    expect(totals).toEqual({
      features: 3,
      byStatus: { queued: 1, planning: 0, running: 0, gating: 0, pr_open: 1, merged: 0, failed: 1, cancelled: 0, needs_human: 0 },
      leadTime: { delivered: 1, medianSeconds: 300, p90Seconds: 300 },
      tasks: { total: 9, succeeded: 3, failed: 0 },
      // 3 succeeded tasks over the 16 minutes from the first creation to now.
      tasksPerHour: 11.25,
      agentSeconds: 340,
      queuedSeconds: 40,
      usage: { inputTokens: 1500, outputTokens: 300, costUsd: 0.015, calls: 3 },
      conflictsResolved: 1,
      gates: { reported: 1, passed: 1, passRate: 1 },
    });
  });

  it('measures only the `limit` most recent features', async () => {
    const metrics = await getMetrics('?limit=2');

    expect(metrics.features.map((feature) => feature.featureId)).toEqual([featureIds.waiting, featureIds.failed]);
    expect(metrics.totals).toMatchObject({ features: 2, leadTime: { delivered: 0, medianSeconds: null }, gates: { reported: 0, passRate: null } });
  });

  it.each([
    ['?limit=0', '?limit'],
    ['?limit=201', '?limit'],
    ['?limit=ten', '?limit'],
    ['?limit=1.5', '?limit'],
    ['?colour=red', '?colour'],
  ])('answers %s with a 400 problem naming the parameter', async (query, pointer) => {
    const response = await fetch(`${url}/metrics${query}`);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { errors?: { pointer: string }[] };
    expect(problem.errors?.map((error) => error.pointer)).toEqual([pointer]);
  });
});
