import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.js';
import { exitOf, spawnLocalRuntime, waitForHttp } from '../support/processes.js';
import { submitFeature } from '../support/runtime.js';

const dataDirs: string[] = [];
afterEach(() => dataDirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function startRuntime(dataDir: string) {
  const port = await freePort();
  const runtime = spawnLocalRuntime({ PORT: String(port), DSF_DATA_DIR: dataDir });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/features`);
  return { ...runtime, url };
}

function freshDataDir(prefix: string): string {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  dataDirs.push(dataDir);
  return dataDir;
}

/** The feature, its tasks and its events, as the API shows them. */
async function snapshot(url: string, id: string) {
  return {
    feature: await getJson(`${url}/features/${id}`),
    tasks: await getJson(`${url}/features/${id}/tasks`),
    events: await getJson(`${url}/features/${id}/events`),
  };
}

async function getJson(url: string) {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

describe('local runtime (npm start)', () => {
  it('keeps a feature with its tasks and events across a SIGKILL and restart', async () => {
    const dataDir = freshDataDir('dsf-restart-');
    const first = await startRuntime(dataDir);
    const id = await submitFeature(first, {
      title: 'Survive a crash',
      description: 'State lives in DynamoDB Local on disk.',
      tasks: [
        { id: 'a', title: 'First' },
        { id: 'b', title: 'Second', dependsOn: ['a'] },
      ],
    });
    await fetch(`${first.url}/features/${id}/cancel`, { method: 'POST' });
    const before = await snapshot(first.url, id);

    first.child.kill('SIGKILL');
    await exitOf(first.child);
    const second = await startRuntime(dataDir);
    try {
      const after = await snapshot(second.url, id);
      expect(after).toEqual(before);
      expect((after.tasks as { items: unknown[] }).items).toHaveLength(2);
      expect((after.events as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(4);
    } finally {
      second.child.kill('SIGTERM');
      await exitOf(second.child);
    }
  }, 90_000);

  it('resumes an unfinished feature after a SIGKILL and never runs a finished task twice', async () => {
    const dataDir = freshDataDir('dsf-resume-');
    const first = await startRuntime(dataDir);
    const id = await submitFeature(first, {
      title: 'Crash in the middle',
      description: 'a chain of three sleep tasks',
      tasks: [
        { id: 'a', title: 'A', sleep: { seconds: 0.2 } },
        { id: 'b', title: 'B', sleep: { seconds: 3 }, dependsOn: ['a'] },
        { id: 'c', title: 'C', sleep: { seconds: 0.2 }, dependsOn: ['b'] },
      ],
    });
    const taskStatus = async (url: string, taskId: string) => {
      const { items } = (await getJson(`${url}/features/${id}/tasks`)) as { items: { id: string; status: string; attempts: number }[] };
      return items.find((t) => t.id === taskId);
    };
    const deadline = Date.now() + 20_000;
    while ((await taskStatus(first.url, 'b'))?.status !== 'running') {
      if (Date.now() > deadline) throw new Error('task b never started');
      await new Promise((r) => setTimeout(r, 100));
    }

    first.child.kill('SIGKILL');
    await exitOf(first.child);
    const second = await startRuntime(dataDir);
    try {
      let feature: { status: string } = { status: 'running' };
      const finish = Date.now() + 30_000;
      while (feature.status !== 'pr_open' && feature.status !== 'failed' && Date.now() < finish) {
        await new Promise((r) => setTimeout(r, 200));
        feature = (await getJson(`${second.url}/features/${id}`)) as { status: string };
      }
      expect(feature.status).toBe('pr_open');
      const { items: tasks } = (await getJson(`${second.url}/features/${id}/tasks`)) as { items: { id: string; status: string; attempts: number }[] };
      expect(tasks.map((t) => [t.id, t.status, t.attempts])).toEqual([
        ['a', 'succeeded', 1],
        ['b', 'succeeded', 2],
        ['c', 'succeeded', 1],
      ]);
      const { items: events } = (await getJson(`${second.url}/features/${id}/events`)) as {
        items: { type: string; taskId?: string; to?: string }[];
      };
      const succeededEvents = events.filter((e) => e.type === 'task.status' && e.to === 'succeeded').map((e) => e.taskId);
      expect(succeededEvents).toEqual(['a', 'b', 'c']);
    } finally {
      second.child.kill('SIGTERM');
      await exitOf(second.child);
    }
  }, 90_000);

  it('shuts down cleanly on SIGTERM, taking DynamoDB Local with it', async () => {
    const dataDir = freshDataDir('dsf-sigterm-');
    const runtime = await startRuntime(dataDir);
    const endpoint = /"endpoint":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(runtime.output())?.[1];
    expect(endpoint).toBeDefined();

    runtime.child.kill('SIGTERM');
    const exit = await exitOf(runtime.child);

    expect(exit.code).toBe(0);
    await expect(fetch(`${runtime.url}/features`)).rejects.toThrow();
    await expect(fetch(endpoint!, { method: 'POST' })).rejects.toThrow();
  }, 60_000);
});
