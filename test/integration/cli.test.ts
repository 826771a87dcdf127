import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { featureDetailSchema } from '../../local/cli/api-client.js';
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
  expect(printed.feature).toMatchObject({ id, title: 'Add a health endpoint', repo: 'demo', baseBranch: 'develop' });
  expect(printed.feature.taskSummary.total).toBe(printed.tasks.length);
});
