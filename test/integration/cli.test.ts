import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { featureDetailSchema, metricsResponseSchema } from '../../local/cli/api-client.js';
import { taskSchema } from '../../lambdas/core/task.js';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';

const run = promisify(execFile);
const dsfBin = fileURLToPath(new URL('../../bin/dsf.mjs', import.meta.url));

let runtime: LocalRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsf-cli-'));
  runtime = await startLocalRuntime({
    dataDir,
    inMemory: true,
    port: 0,
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tableName: `cli-${Date.now()}`,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
});

afterAll(async () => {
  await runtime?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const dsf = (...args: string[]) => run(process.execPath, [dsfBin, ...args], { env: { ...process.env, DSF_URL: runtime.url } });

it('submits through the real bin and reads the feature back as JSON', async () => {
  const submitted = await dsf('submit', '--title', 'Add a health endpoint', '--description', 'GET /health returns 200.', '--base-branch', 'develop');

  const [line, url] = submitted.stdout.trimEnd().split('\n');
  const id = /^submitted (feat_[0-9A-Z]{26}) "Add a health endpoint" \(queued\)$/.exec(line ?? '')?.[1];
  expect(id).toBeDefined();
  expect(url).toBe(`${runtime.url}/features/${id}`);
  expect(submitted.stderr).toBe('');

  const status = await dsf('status', id!, '--json');

  const printed = z.object({ feature: featureDetailSchema, tasks: z.array(taskSchema) }).parse(JSON.parse(status.stdout));
  expect(printed.feature).toMatchObject({ id, title: 'Add a health endpoint', repo: 'bookshelf', baseBranch: 'develop' });
  expect(printed.feature.taskSummary.total).toBe(printed.tasks.length);
});

it('submits a feature file once however often it is run, and measures the features with dsf metrics', async () => {
  const file = join(dataDir, 'features.yaml');
  await writeFile(file, '- title: Add a version endpoint\n  description: GET /version returns the build.\n- title: Add a ping endpoint\n  description: GET /ping returns pong.\n');

  const first = await dsf('submit', '--from-file', file);
  const second = await dsf('submit', '--from-file', file);

  const ids = (stdout: string) => [...stdout.matchAll(/ (feat_[0-9A-Z]{26}) /g)].map((match) => match[1]);
  expect(ids(first.stdout)).toHaveLength(2);
  expect(first.stdout).toMatch(/^submitted feat_\w{26} "Add a version endpoint"\nsubmitted feat_\w{26} "Add a ping endpoint"\n$/);
  expect(second.stdout).toMatch(/^already submitted .*\nalready submitted .*\n$/);
  expect(ids(second.stdout)).toEqual(ids(first.stdout));

  const metrics = metricsResponseSchema.parse(JSON.parse((await dsf('metrics', '--limit', '10', '--json')).stdout));

  expect(metrics.features.map((feature) => feature.featureId)).toEqual(expect.arrayContaining(ids(first.stdout)));
  expect(metrics.totals.features).toBe(metrics.features.length);
});
