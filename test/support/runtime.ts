import { tmpdir } from 'node:os';
import { inject } from 'vitest';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime.js';
import { executionNameForFeature } from '../../lambdas/ports/workflow.js';
import { silentLogger } from './fixtures.js';

let counter = 0;

/** The whole local runtime in process, on the run's shared DynamoDB Local, with test-sized timeouts. */
export function startTestRuntime(overrides: Partial<LocalRuntimeOptions> = {}): Promise<LocalRuntime> {
  return startLocalRuntime({
    dataDir: tmpdir(),
    inMemory: true,
    port: 0,
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tableName: `rt-${process.pid}-${Date.now()}-${counter++}`,
    logger: silentLogger(),
    heartbeatEveryMs: 100,
    attemptTimeoutMs: 5_000,
    visibilityTimeoutSeconds: 1,
    retryIntervalOverrides: {
      DispatchCode: 50,
      DispatchTest: 50,
      DispatchReview: 50,
      DispatchConflict: 50,
    },
    ...overrides,
  });
}

/** POST /features on any running DSF (in process or a spawned `npm start`); the new feature's id. */
export async function submitFeature(runtime: Pick<LocalRuntime, 'url'>, body: unknown): Promise<string> {
  const response = await fetch(`${runtime.url}/features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`submit failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

export async function waitForExecution(runtime: LocalRuntime, featureId: string) {
  return runtime.workflow.waitForExecution(executionNameForFeature(featureId));
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
