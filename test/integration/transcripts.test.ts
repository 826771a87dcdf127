import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbFeatureStore } from '../../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { DynamoDbTranscriptStore } from '../../lambdas/adapters/dynamodb/dynamodb-transcript-store.js';
import { FileBlobStore } from '../../lambdas/adapters/local-files/file-blob-store.js';
import type { ApiDeps } from '../../lambdas/http/routes/feature-routes.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import { transcriptEntrySchema, type TranscriptEntryInput } from '../../lambdas/ports/transcript-store.js';
import { runCli, type CliIo } from '../../local/cli/program.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { transcriptPageSchema } from '../../local/cli/logs-command.js';
import { serveApi } from '../support/api-server.js';
import { freshTable } from '../support/dynamodb.js';
import { ids, sampleFeature, silentLogger } from '../support/fixtures.js';
import { RecordingWorkflow } from '../support/recording-workflow.js';

const run = promisify(execFile);
const dsfBin = fileURLToPath(new URL('../../bin/dsf.mjs', import.meta.url));

let url: string;
let store: DynamoDbFeatureStore;
let transcripts: DynamoDbTranscriptStore;
let close: () => Promise<void>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const { client, tableName } = await freshTable('transcript-api');
  const dataDir = await mkdtemp(join(tmpdir(), 'dsf-transcript-api-'));
  store = new DynamoDbFeatureStore({ client, tableName, clock: systemClock, ids });
  const bodies = new FileBlobStore(join(dataDir, 'transcripts'));
  transcripts = new DynamoDbTranscriptStore({ client, tableName, clock: systemClock, blobs: bodies });
  const deps: ApiDeps = {
    logger: silentLogger(),
    clock: systemClock,
    ids,
    store,
    workflow: new RecordingWorkflow(),
    defaults: { repo: 'demo', baseBranch: 'main' },
    idempotencyTtlSeconds: 3600,
    transcripts: { entries: transcripts, bodies },
  };
  ({ url, close } = await serveApi(deps));
  cleanup = async () => {
    client.destroy();
    await rm(dataDir, { recursive: true, force: true });
  };
});

afterAll(async () => {
  await close?.();
  await cleanup?.();
});

async function aFeatureWithTranscript() {
  const { feature, tasks } = sampleFeature(systemClock);
  await store.createFeature({ feature, tasks });
  const entry = (overrides: Partial<TranscriptEntryInput>): TranscriptEntryInput => ({
    featureId: feature.id,
    taskId: 'endpoint',
    role: 'code',
    attempt: 1,
    kind: 'assistant',
    body: 'text',
    ...overrides,
  });
  await transcripts.append(entry({ taskId: undefined, role: 'planner', attempt: 0, kind: 'prompt', body: 'Plan: Add a health endpoint' }));
  await transcripts.append(entry({ kind: 'tool_call', tool: 'read_file', body: '{"path":"src/app.ts"}' }));
  await transcripts.append(entry({ kind: 'tool_result', tool: 'run_tests', body: `FAIL\n${'x'.repeat(20_000)}\nthe end`, isError: true }));
  await transcripts.append(entry({ taskId: 'tests', role: 'test', kind: 'usage', body: 'turn 1', usage: { inputTokens: 1200, outputTokens: 80, costUsd: 0.0042 } }));
  return { feature, entry };
}

describe('GET /features/{id}/transcript', () => {
  it('lists the entries in seq order, with previews of large bodies', async () => {
    const { feature } = await aFeatureWithTranscript();

    const response = await fetch(`${url}/features/${feature.id}/transcript`);

    expect(response.status).toBe(200);
    const page = transcriptPageSchema.parse(await response.json());
    expect(page.items.map((e) => [e.seq, e.kind, e.taskId])).toEqual([
      [1, 'prompt', undefined],
      [2, 'tool_call', 'endpoint'],
      [3, 'tool_result', 'endpoint'],
      [4, 'usage', 'tests'],
    ]);
    expect(page.items[2]!.bodyRef).toBeDefined();
    expect(page.items[2]!.body).not.toContain('the end');
    expect(page.nextSeq).toBeUndefined();
  });

  it('filters by task, pages with after and limit, and inlines whole bodies with full=1', async () => {
    const { feature } = await aFeatureWithTranscript();
    const get = async (query: string) => transcriptPageSchema.parse(await (await fetch(`${url}/features/${feature.id}/transcript?${query}`)).json());

    const endpoint = await get('task=endpoint');
    const firstPage = await get('limit=1&after=1');
    const full = await get('task=endpoint&after=2&full=1');

    expect(endpoint.items.map((e) => e.seq)).toEqual([2, 3]);
    expect(firstPage).toEqual({ items: [expect.objectContaining({ seq: 2 })], nextSeq: 2 });
    expect(full.items).toHaveLength(1);
    expect(full.items[0]!.body).toBe(`FAIL\n${'x'.repeat(20_000)}\nthe end`);
  });

  it('answers 404 problem+json for an unknown feature', async () => {
    const response = await fetch(`${url}/features/feat_01JZZZZZZZZZZZZZZZZZZZZZZZ/transcript`);

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 404, title: 'Not found' });
  });

  it.each([
    ['after=-1', '?after'],
    ['after=abc', '?after'],
    ['limit=0', '?limit'],
    ['limit=500', '?limit'],
    ['task=Not_A_Task', '?task'],
    ['full=yes', '?full'],
    ['color=blue', '?color'],
  ])('answers 400 for %s, pointing at %s', async (query, pointer) => {
    const { feature } = await aFeatureWithTranscript();

    const response = await fetch(`${url}/features/${feature.id}/transcript?${query}`);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toEqual([pointer]);
  });
});

/** A logs line's columns: time, task, role, kind, tool, preview (bodies are flattened, so only padding has two spaces). */
const columns = (line: string) => line.split(/ {2,}/);

describe('dsf logs', () => {
  function io(hooks: { onSleep?: (n: number) => Promise<void> } = {}) {
    let stdout = '';
    let stderr = '';
    let sleeps = 0;
    const cliIo: CliIo = {
      fetch,
      env: { DSF_URL: url },
      stdout: (s) => void (stdout += s),
      stderr: (s) => void (stderr += s),
      sleep: async () => {
        sleeps += 1;
        if (sleeps > 20) throw new Error('follow did not stop');
        await hooks.onSleep?.(sleeps);
      },
    };
    return { cliIo, out: () => stdout, err: () => stderr, sleeps: () => sleeps };
  }

  it('prints one line per entry: time, task, role, kind, tool and a one-line preview', async () => {
    const { feature } = await aFeatureWithTranscript();
    const { cliIo, out, err } = io();

    const code = await runCli(['logs', feature.id], cliIo);

    expect({ code, err: err() }).toEqual({ code: 0, err: '' });
    const rows = out().trimEnd().split('\n').map(columns);
    expect(rows.map((row) => row.slice(1))).toEqual([
      ['-', 'planner', 'prompt', '-', 'Plan: Add a health endpoint'],
      ['endpoint', 'code', 'tool_call', 'read_file', '{"path":"src/app.ts"}'],
      ['endpoint', 'code', 'tool_result', 'run_tests', expect.stringMatching(/^error: FAIL x{100,}…$/)],
      ['tests', 'test', 'usage', '-', '[1200 in, 80 out, $0.0042] turn 1'],
    ]);
    expect(rows[0]![0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // One line each, however long the body: the preview is cut.
    expect(Math.max(...out().trimEnd().split('\n').map((line) => line.length))).toBeLessThan(240);
  });

  it('prints only one task’s entries with --task, as JSON lines with --json', async () => {
    const { feature } = await aFeatureWithTranscript();
    const { cliIo, out } = io();

    const code = await runCli(['logs', feature.id, '--task', 'endpoint', '--json'], cliIo);

    expect(code).toBe(0);
    const entries = out().trimEnd().split('\n').map((line) => transcriptEntrySchema.parse(JSON.parse(line)));
    expect(entries.map((e) => [e.seq, e.taskId, e.kind])).toEqual([
      [2, 'endpoint', 'tool_call'],
      [3, 'endpoint', 'tool_result'],
    ]);
  });

  it('follows: prints entries appended while it waits and exits 0 once the feature has ended', async () => {
    const { feature, entry } = await aFeatureWithTranscript();
    const { cliIo, out, sleeps } = io({
      onSleep: async (n) => {
        if (n === 1) await transcripts.append(entry({ kind: 'assistant', body: 'Route added; running the tests.' }));
        if (n === 2) {
          await transcripts.append(entry({ kind: 'stop', body: 'end_turn' }));
          await store.transitionFeature(feature.id, { to: 'cancelled', reason: 'test over' });
        }
      },
    });

    const code = await runCli(['logs', feature.id, '--follow', '--task', 'endpoint'], cliIo);

    expect(code).toBe(0);
    const lines = out().trimEnd().split('\n');
    expect(lines.map((line) => columns(line)[3])).toEqual(['tool_call', 'tool_result', 'assistant', 'stop']);
    expect(lines[2]).toMatch(/Route added; running the tests\.$/);
    expect(sleeps()).toBe(2);
  });

  it('exits 1 with one line for an unknown feature, and 2 for a bad --task', async () => {
    const unknown = io();
    const badTask = io();

    const unknownCode = await runCli(['logs', 'feat_01JZZZZZZZZZZZZZZZZZZZZZZZ'], unknown.cliIo);
    const badTaskCode = await runCli(['logs', 'feat_01JZZZZZZZZZZZZZZZZZZZZZZZ', '--task', 'Bad Task'], badTask.cliIo);

    expect(unknownCode).toBe(1);
    expect(unknown.err()).toMatch(/^dsf: 404 Not found: feature feat_01JZZZZZZZZZZZZZZZZZZZZZZZ does not exist\n$/);
    expect(badTaskCode).toBe(2);
    expect(badTask.err()).toMatch(/^dsf: invalid --task "Bad Task"/);
    expect(badTask.err().split('\n')).toHaveLength(2);
  });

  it('runs through the real bin', async () => {
    const { feature } = await aFeatureWithTranscript();

    const { stdout, stderr } = await run(process.execPath, [dsfBin, 'logs', feature.id, '--task', 'tests'], { env: { ...process.env, DSF_URL: url } });

    expect(stderr).toBe('');
    expect(stdout.trimEnd().split('\n').map((line) => columns(line).slice(1))).toEqual([['tests', 'test', 'usage', '-', '[1200 in, 80 out, $0.0042] turn 1']]);
  });
});

describe('the local runtime', () => {
  it('keeps transcripts in its table, large bodies as files under <dataDir>/blobs, and serves them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dsf-transcript-runtime-'));
    const runtime = await startLocalRuntime({
      dataDir,
      inMemory: true,
      port: 0,
      dynamoDbEndpoint: inject('dynamoDbEndpoint'),
      tableName: `transcript-runtime-${Date.now()}`,
      logger: silentLogger(),
      resume: false,
    });
    try {
      const { feature, tasks } = sampleFeature(systemClock);
      await runtime.store.createFeature({ feature, tasks });
      const body = `${'log line\n'.repeat(3_000)}done`;
      const entry = await runtime.transcripts.append({ featureId: feature.id, taskId: 'endpoint', role: 'code', attempt: 1, kind: 'tool_result', tool: 'run_tests', body });

      const files = await readdir(join(dataDir, 'blobs', 'transcripts', feature.id));
      const response = await fetch(`${runtime.url}/features/${feature.id}/transcript?full=1`);

      expect(files).toHaveLength(1);
      expect(await readFile(join(dataDir, 'blobs', entry.bodyRef!), 'utf8')).toBe(body);
      expect(transcriptPageSchema.parse(await response.json()).items).toEqual([{ ...entry, body }]);
    } finally {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
