import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { featureEventSchema } from '../../lambdas/core/feature-event.js';
import { MemoryFeatureStore } from '../../lambdas/adapters/memory/memory-feature-store.js';
import { createDashboardServer, type DashboardServer } from '../../local/dashboard-server.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { ManualClock, ids, sampleFeature, silentLogger } from '../support/fixtures.js';
import { startTestRuntime, submitFeature, waitForExecution } from '../support/runtime.js';
import { SseReader } from './sse-client.js';

const INDEX = '<!doctype html><title>DSF test</title><div id="app"></div>';

function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dsf-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log("dsf")');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

const sleepPlan = (seconds: number) => ({
  title: 'Stream me',
  description: 'Two sleep tasks in a row.',
  tasks: [
    { id: 'first', title: 'First', sleep: { seconds } },
    { id: 'second', title: 'Second', dependsOn: ['first'], sleep: { seconds } },
  ],
});

describe('dashboard server, mounted in the local runtime', () => {
  let runtime: LocalRuntime;
  let dist: string;

  beforeAll(async () => {
    dist = fakeDist();
    runtime = await startTestRuntime({ dashboard: { staticDir: dist, pollEveryMs: 50, heartbeatEveryMs: 300 } });
  });

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves the built UI at / with a CSP, and hashed assets as immutable', async () => {
    const index = await fetch(`${runtime.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await index.text()).toBe(INDEX);

    const asset = await fetch(`${runtime.url}/assets/app-1234.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');

    const head = await fetch(`${runtime.url}/favicon.svg`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('<svg xmlns="http://www.w3.org/2000/svg"/>'.length));
  });

  it.each(['/..%2f..%2fpackage.json', '/assets/..%2f..%2fpackage.json', '/%00', '/assets', '/missing.js'])(
    'leaves %s to the API, which answers 404 problem+json',
    async (path) => {
      const response = await fetch(`${runtime.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    },
  );

  it('keeps answering API clients with JSON on /features/{id}, and sends browsers to the view', async () => {
    const id = await submitFeature(runtime, sleepPlan(0));
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html']) {
      const response = await fetch(`${runtime.url}/features/${id}`, accept ? { headers: { accept } } : {});
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(((await response.json()) as { id: string }).id).toBe(id);
    }
    const navigation = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const expected: [string, string][] = [
      [`/features/${id}`, `/#/features/${id}`],
      ['/features', '/#/'],
      ['/metrics', '/#/metrics'],
      ['/new', '/#/new'],
    ];
    for (const [path, location] of expected) {
      const response = await fetch(`${runtime.url}${path}`, { headers: navigation, redirect: 'manual' });
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location')).toBe(location);
      expect(response.headers.get('vary')).toBe('Accept');
    }
    // Not views: the API's answers stand, for browsers too.
    expect((await fetch(`${runtime.url}/features/${id}/tasks`, { headers: navigation })).headers.get('content-type')).toContain('application/json');
    expect((await fetch(`${runtime.url}/metrics`)).headers.get('content-type')).toContain('application/json');
    // A path that is only a view is not an API resource.
    expect((await fetch(`${runtime.url}/new`)).status).toBe(404);
    await waitForExecution(runtime, id);
  });

  it('streams the existing events, then new ones as they are written, with their ids', async () => {
    const id = await submitFeature(runtime, sleepPlan(0.3));
    const response = await fetch(`${runtime.url}/features/${id}/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    const reader = new SseReader(response);
    const seen = await reader.until((event) => event.event === 'feature-event' && JSON.parse(event.data).to === 'pr_open');
    await reader.cancel();
    expect(reader.retry).toBe(2000);

    const events = seen.filter((event) => event.event === 'feature-event').map((event) => featureEventSchema.parse(JSON.parse(event.data)));
    expect(events[0]!.type).toBe('feature.created');
    expect(seen.filter((event) => event.event === 'feature-event').map((event) => event.id)).toEqual(events.map((event) => event.id));
    // Exactly the store's log, in order, each once.
    const log = (await (await fetch(`${runtime.url}/features/${id}/events`)).json()) as { items: { id: string }[] };
    expect(events.map((event) => event.id)).toEqual(log.items.map((event) => event.id).slice(0, events.length));
    expect(events.some((event) => event.type === 'task.status' && event.taskId === 'second' && event.to === 'succeeded')).toBe(true);
  });

  it('resumes after Last-Event-ID, as a reconnecting EventSource asks', async () => {
    const id = await submitFeature(runtime, sleepPlan(0));
    await waitForExecution(runtime, id);
    const log = (await (await fetch(`${runtime.url}/features/${id}/events`)).json()) as { items: { id: string }[] };
    const response = await fetch(`${runtime.url}/features/${id}/stream`, { headers: { 'last-event-id': log.items[2]!.id } });
    const reader = new SseReader(response);
    const seen = await reader.until((event) => event.id === log.items.at(-1)!.id);
    await reader.cancel();
    expect(seen.filter((event) => event.event === 'feature-event').map((event) => event.id)).toEqual(log.items.slice(3).map((event) => event.id));

    const byQuery = new SseReader(await fetch(`${runtime.url}/features/${id}/stream?after=${log.items.at(-2)!.id}`));
    expect((await byQuery.next())?.id).toBe(log.items.at(-1)!.id);
    await byQuery.cancel();
  });

  it('sends heartbeats while nothing happens', async () => {
    const id = await submitFeature(runtime, sleepPlan(0));
    await waitForExecution(runtime, id);
    const reader = new SseReader(await fetch(`${runtime.url}/features/${id}/stream`));
    const seen = await reader.until((event) => event.event === 'heartbeat', 5_000);
    await reader.cancel();
    expect(JSON.parse(seen.at(-1)!.data)).toEqual({ at: expect.any(String) });
  });

  it('refuses an unknown feature, a bad Last-Event-ID and other methods', async () => {
    const unknown = await fetch(`${runtime.url}/features/feat_01ARZ3NDEKTSV4RRFFQ69G5FAV/stream`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect((await fetch(`${runtime.url}/features/not-an-id/stream`)).status).toBe(404);
    const id = await submitFeature(runtime, sleepPlan(0));
    expect((await fetch(`${runtime.url}/features/${id}/stream`, { headers: { 'last-event-id': 'nope' } })).status).toBe(400);
    const post = await fetch(`${runtime.url}/features/${id}/stream`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    await waitForExecution(runtime, id);
  });

  it('ends open streams cleanly when the runtime stops', async () => {
    const own = await startTestRuntime({ dashboard: { staticDir: dist, pollEveryMs: 50 } });
    const id = await submitFeature(own, sleepPlan(0));
    const reader = new SseReader(await fetch(`${own.url}/features/${id}/stream`));
    await reader.until((event) => event.event === 'feature-event');
    await own.stop();
    // The body ends (no reset): the reader drains what was sent, then reports the end.
    let event;
    do event = await reader.next();
    while (event !== undefined);
  });
});

describe('dashboard server, on its own', () => {
  let server: Server;
  let dashboard: DashboardServer;
  let url: string;
  let dist: string;
  const clock = new ManualClock();
  const store = new MemoryFeatureStore({ clock, ids });

  beforeAll(() => {
    dist = fakeDist();
  });

  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  async function listen(staticDir: string) {
    dashboard = createDashboardServer({ store, logger: silentLogger(), staticDir, pollEveryMs: 20 });
    server = createServer((req, res) => {
      if (!dashboard.handle(req, res)) {
        res.writeHead(418);
        res.end('api');
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    await dashboard.close();
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  it('says how to build the UI when dashboard/dist is missing, and leaves the rest to the API', async () => {
    await listen(join(tmpdir(), 'dsf-no-such-dist'));
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build:dashboard');
    expect((await fetch(`${url}/features`)).status).toBe(418);
    expect((await fetch(`${url}/anything.js`)).status).toBe(418);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(418);
  });

  it('forgets a stream when its client goes away, and tails writes made after it opened', async () => {
    await listen(dist);
    const { feature, tasks } = sampleFeature(clock);
    await store.createFeature({ feature, tasks });
    const reader = new SseReader(await fetch(`${url}/features/${feature.id}/stream`));
    await reader.until((event) => event.event === 'feature-event');
    expect(dashboard.openStreams).toBe(1);
    await store.appendNote(feature.id, { message: 'written later' });
    const seen = await reader.until((event) => event.data.includes('written later'));
    expect(JSON.parse(seen.at(-1)!.data)).toMatchObject({ type: 'note', message: 'written later' });
    await reader.cancel();
    await expect.poll(() => dashboard.openStreams, { timeout: 5_000 }).toBe(0);
  });

  it('turns away streams once closing', async () => {
    await listen(dist);
    const { feature, tasks } = sampleFeature(clock);
    await store.createFeature({ feature, tasks });
    await dashboard.close();
    const response = await fetch(`${url}/features/${feature.id}/stream`);
    expect(response.status).toBe(503);
  });
});
