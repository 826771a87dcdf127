import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFeatureStore } from '../../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import type { ApiDeps } from '../../lambdas/http/routes/feature-routes.js';
import type { FeatureStore } from '../../lambdas/ports/feature-store.js';
import { ids, silentLogger } from '../support/fixtures.js';
import { freshTable } from '../support/dynamodb.js';
import { serveApi } from '../support/api-server.js';
import { RecordingWorkflow } from '../support/recording-workflow.js';

let url: string;
let store: DynamoDbFeatureStore;
let close: () => Promise<void>;
let destroyClient: () => void;
const workflow = new RecordingWorkflow();

beforeAll(async () => {
  const { client, tableName } = await freshTable('api');
  destroyClient = () => client.destroy();
  store = new DynamoDbFeatureStore({ client, tableName, clock: systemClock, ids });
  const deps: ApiDeps = {
    logger: silentLogger(),
    clock: systemClock,
    ids,
    store,
    workflow,
    defaults: { repo: 'demo', baseBranch: 'main' },
    idempotencyTtlSeconds: 3600,
  };
  ({ url, close } = await serveApi(deps));
});

afterAll(async () => {
  await close();
  destroyClient();
});

const validBody = {
  title: 'Add a health endpoint',
  description: 'GET /health returns 200.',
  tasks: [
    { id: 'route', title: 'Add the route', acceptanceCriteria: ['GET /health returns 200'] },
    { id: 'tests', title: 'Test it', agentType: 'test', dependsOn: ['route'] },
  ],
};

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function expectProblem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as { status: number; title: string; detail?: string; errors?: { pointer: string; detail: string }[] };
  expect(problem.status).toBe(status);
  expect(problem.title).toBeTruthy();
  return problem;
}

async function submit(body: unknown = validBody) {
  const response = await post('/features', body);
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; status: string; taskIds: string[] };
}

describe('POST /features', () => {
  it('accepts a feature with 202, a Location header, and stores it with its tasks', async () => {
    const response = await post('/features', validBody);

    expect(response.status).toBe(202);
    const feature = (await response.json()) as { id: string };
    expect(response.headers.get('location')).toBe(`/features/${feature.id}`);
    expect(feature).toMatchObject({ status: 'queued', repo: 'demo', baseBranch: 'main', taskIds: ['route', 'tests'], version: 0 });
    expect(await store.getFeature(feature.id)).toEqual(feature);
    expect((await store.listTasks(feature.id)).map((t) => t.status)).toEqual(['pending', 'pending']);
    expect(workflow.started).toContainEqual({ name: `feature-${feature.id}`, input: { featureId: feature.id } });
  });

  it('returns the same feature for a replayed Idempotency-Key and creates no duplicate', async () => {
    const key = `replay-${Date.now()}`;
    const reordered = { tasks: validBody.tasks, description: validBody.description, title: validBody.title };

    const first = await post('/features', validBody, { 'idempotency-key': key });
    const second = await post('/features', JSON.stringify(reordered, null, 2), { 'idempotency-key': key });

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const a = (await first.json()) as { id: string };
    const b = (await second.json()) as { id: string };
    expect(b.id).toBe(a.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const all = await store.listFeatures({ limit: 100 });
    expect(all.items.filter((f) => f.id === a.id)).toHaveLength(1);
  });

  it('handles concurrent requests with one Idempotency-Key as one feature', async () => {
    const key = `race-${Date.now()}`;
    const before = (await store.listFeatures({ limit: 100 })).items.length;

    const responses = await Promise.all([1, 2, 3].map(() => post('/features', validBody, { 'idempotency-key': key })));

    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { id: string }[];
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect((await store.listFeatures({ limit: 100 })).items.length).toBe(before + 1);
  });

  it('answers 409 for an Idempotency-Key reused with another body', async () => {
    const key = `conflict-${Date.now()}`;
    await post('/features', validBody, { 'idempotency-key': key });

    const response = await post('/features', { ...validBody, title: 'Something else' }, { 'idempotency-key': key });

    const problem = await expectProblem(response, 409);
    expect(problem.detail).toContain(key);
  });

  it('answers 400 for an invalid Idempotency-Key', async () => {
    const problem = await expectProblem(await post('/features', validBody, { 'idempotency-key': 'has space' }), 400);
    expect(problem.errors?.[0]?.pointer).toBe('header:Idempotency-Key');
  });

  it('answers 400 naming every offending field', async () => {
    const response = await post('/features', { title: '', description: 42, repo: 'bad repo name', surprise: true });

    const problem = await expectProblem(response, 400);
    expect(problem.errors?.map((e) => e.pointer).sort()).toEqual(['/description', '/repo', '/surprise', '/title']);
  });

  it('answers 400 for a task field deep in the plan', async () => {
    const response = await post('/features', { ...validBody, tasks: [{ id: 'a', title: 'A', agentType: 'wizard' }] });

    const problem = await expectProblem(response, 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/tasks/0/agentType' })]);
  });

  it.each([
    ['an unknown dependency', [{ id: 'a', title: 'A', dependsOn: ['ghost'] }], '/tasks/0/dependsOn/0'],
    ['a cycle', [{ id: 'a', title: 'A', dependsOn: ['b'] }, { id: 'b', title: 'B', dependsOn: ['a'] }], '/tasks/0/dependsOn'],
    ['a duplicate task id', [{ id: 'a', title: 'A' }, { id: 'a', title: 'A again' }], '/tasks/1/id'],
  ])('answers 400 for a plan with %s', async (_name, tasks, pointer) => {
    const problem = await expectProblem(await post('/features', { ...validBody, tasks }), 400);
    expect(problem.errors?.[0]?.pointer).toBe(pointer);
  });

  it('answers 400 for malformed JSON', async () => {
    const problem = await expectProblem(await post('/features', '{"title": '), 400);
    expect(problem.detail).toMatch(/not valid JSON/);
  });

  it('answers 413 for a body over 256 KiB and stores nothing', async () => {
    const before = (await store.listFeatures({ limit: 100 })).items.length;
    const response = await post('/features', { ...validBody, description: 'x'.repeat(300 * 1024) });

    await expectProblem(response, 413);
    expect((await store.listFeatures({ limit: 100 })).items.length).toBe(before);
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['form data', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('answers 415 for %s', async (_name, headers) => {
    const response = await fetch(`${url}/features`, { method: 'POST', headers, body: JSON.stringify(validBody) });
    await expectProblem(response, 415);
  });

  it('accepts a JSON media type with parameters', async () => {
    const response = await post('/features', validBody, { 'content-type': 'application/json; charset=utf-8' });
    expect(response.status).toBe(202);
  });
});

describe('GET /features', () => {
  it('pages newest first with limit and cursor', async () => {
    const made = [await submit(), await submit(), await submit()];

    const first = (await (await fetch(`${url}/features?limit=2`)).json()) as { items: { id: string }[]; nextCursor?: string };
    const second = (await (await fetch(`${url}/features?limit=2&cursor=${first.nextCursor}`)).json()) as { items: { id: string }[] };

    expect(first.items.map((f) => f.id)).toEqual([made[2]!.id, made[1]!.id]);
    expect(second.items[0]!.id).toBe(made[0]!.id);
  });

  it.each([
    ['limit=0', '?limit'],
    ['limit=abc', '?limit'],
    ['limit=101', '?limit'],
    ['cursor=garbage', '?cursor'],
    ['colour=red', '?colour'],
  ])('answers 400 for %s', async (query, pointer) => {
    const problem = await expectProblem(await fetch(`${url}/features?${query}`), 400);
    expect(problem.errors?.[0]?.pointer).toBe(pointer);
  });
});

describe('GET /features/{id}, /tasks, /events', () => {
  it('returns the feature with a task summary', async () => {
    const feature = await submit();
    await store.transitionTask(feature.id, 'route', { to: 'queued' });

    const body = (await (await fetch(`${url}/features/${feature.id}`)).json()) as Record<string, unknown>;

    expect(body).toMatchObject({ id: feature.id, taskSummary: { total: 2, pending: 1, queued: 1, succeeded: 0 } });
  });

  it('never shows a task\'s workflow callback token', async () => {
    const feature = await submit();
    await store.transitionTask(feature.id, 'route', { to: 'waiting', waitToken: 'secret-callback-token' });

    const text = await (await fetch(`${url}/features/${feature.id}/tasks`)).text();

    expect(text).toContain('"status":"waiting"');
    expect(text).not.toContain('secret-callback-token');
  });

  it('lists the tasks in dependency order', async () => {
    const feature = await submit();
    const body = (await (await fetch(`${url}/features/${feature.id}/tasks`)).json()) as { items: { id: string; dependsOn: string[] }[] };
    expect(body.items.map((t) => [t.id, t.dependsOn])).toEqual([
      ['route', []],
      ['tests', ['route']],
    ]);
  });

  it('lists events, and only newer ones after an event id', async () => {
    const feature = await submit();
    await store.transitionFeature(feature.id, { to: 'planning' });

    const all = (await (await fetch(`${url}/features/${feature.id}/events`)).json()) as { items: { id: string; type: string }[]; lastEventId: string };
    const newer = (await (await fetch(`${url}/features/${feature.id}/events?after=${all.items[0]!.id}`)).json()) as { items: { type: string }[] };

    expect(all.items.map((e) => e.type)).toEqual(['feature.created', 'feature.status']);
    expect(all.lastEventId).toBe(all.items[1]!.id);
    expect(newer.items.map((e) => e.type)).toEqual(['feature.status']);
  });

  it('answers 400 for an after that is not an event id', async () => {
    const feature = await submit();
    const problem = await expectProblem(await fetch(`${url}/features/${feature.id}/events?after=nope`), 400);
    expect(problem.errors?.[0]?.pointer).toBe('?after');
  });

  it.each(['', '/tasks', '/events'])('answers 404 for an unknown feature on GET /features/{id}%s', async (suffix) => {
    await expectProblem(await fetch(`${url}/features/feat_01ARZ3NDEKTSV4RRFFQ69G5FAV${suffix}`), 404);
  });
});

describe('POST /features/{id}/cancel', () => {
  it('cancels the feature and its unfinished tasks, and records it', async () => {
    const feature = await submit();

    const response = await fetch(`${url}/features/${feature.id}/cancel`, { method: 'POST' });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'cancelled' });
    expect(workflow.stopped).toContain(`feature-${feature.id}`);
    expect((await store.listTasks(feature.id)).map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    const events = await store.listEvents(feature.id);
    expect(events.filter((e) => e.type === 'task.status')).toHaveLength(2);
  });

  it('answers 409 for cancelling a merged feature and leaves it merged', async () => {
    const feature = await submit();
    for (const to of ['planning', 'running', 'gating', 'pr_open', 'merged'] as const) await store.transitionFeature(feature.id, { to });
    const before = await store.getFeature(feature.id);

    const problem = await expectProblem(await fetch(`${url}/features/${feature.id}/cancel`, { method: 'POST' }), 409);

    expect(problem.detail).toMatch(/merged/);
    expect(await store.getFeature(feature.id)).toEqual(before);
  });

  it('answers 404 for an unknown feature', async () => {
    await expectProblem(await fetch(`${url}/features/feat_01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel`, { method: 'POST' }), 404);
  });
});

describe('routing and internal errors', () => {
  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    await expectProblem(await fetch(`${url}/nothing-here`), 404);
    const response = await fetch(`${url}/features`, { method: 'DELETE' });
    await expectProblem(response, 405);
    expect(response.headers.get('allow')).toBe('POST, GET');
  });

  it('answers 500 without leaking internals when the store fails', async () => {
    const failing = new Proxy(store, {
      get: (target, prop: keyof FeatureStore) =>
        prop === 'getFeature' || prop === 'getFeatureWithTasks'
          ? async () => {
              throw new Error('connection string postgres://admin:hunter2@db at Object.<anonymous> (/src/store.ts:12)');
            }
          : target[prop],
    }) as FeatureStore;
    const broken = await serveApi({
      logger: silentLogger(),
      clock: systemClock,
      ids,
      store: failing,
      workflow,
      defaults: { repo: 'demo', baseBranch: 'main' },
      idempotencyTtlSeconds: 3600,
    });
    try {
      const response = await fetch(`${broken.url}/features/feat_01ARZ3NDEKTSV4RRFFQ69G5FAV`);
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(text).not.toMatch(/hunter2|store\.ts|postgres|stack/i);
    } finally {
      await broken.close();
    }
  });
});
