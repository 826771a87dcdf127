import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { DynamoDbFeatureStore } from '../../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/dynamodb-client.js';
import type { LocalRuntime } from '../../local/runtime.js';
import type { FeatureEvent } from '../../lambdas/core/feature-event.js';
import { startTestRuntime, submitFeature, waitForExecution } from '../support/runtime.js';
import { ids } from '../support/fixtures.js';
import { systemClock } from '../../lambdas/ports/clock.js';

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const sleepTask = (id: string, seconds: number, dependsOn: string[] = [], outcome = 'succeed') => ({
  id,
  title: `sleep ${id}`,
  sleep: { seconds, outcome },
  dependsOn,
});

/** When each task entered each status, from the feature's event log. */
function timeline(events: FeatureEvent[]) {
  const at = new Map<string, number>();
  for (const event of events) if (event.type === 'task.status') at.set(`${event.taskId}:${event.to}`, Date.parse(event.at));
  return (taskId: string, status: string) => at.get(`${taskId}:${status}`);
}

describe('feature state machine on the local engine', () => {
  it('runs a diamond DAG: parallel middle, join after both, feature reaches pr_open', async () => {
    runtime = await startTestRuntime();
    const id = await submitFeature(runtime, {
      title: 'Diamond',
      description: 'a, then b and c in parallel, then d',
      tasks: [sleepTask('a', 0.2), sleepTask('b', 0.5, ['a']), sleepTask('c', 0.5, ['a']), sleepTask('d', 0.2, ['b', 'c'])],
    });

    const execution = await waitForExecution(runtime, id);

    expect(execution?.status).toBe('SUCCEEDED');
    expect(await runtime.store.getFeature(id)).toMatchObject({ status: 'pr_open' });
    const tasks = await runtime.store.listTasks(id);
    expect(tasks.map((t) => [t.id, t.status, t.attempts])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
      ['c', 'succeeded', 1],
      ['d', 'succeeded', 1],
    ]);
    const at = timeline(await runtime.store.listEvents(id));
    expect(at('b', 'running')!).toBeGreaterThanOrEqual(at('a', 'succeeded')!);
    // b and c overlap: each started before the other finished.
    expect(at('b', 'running')!).toBeLessThan(at('c', 'succeeded')!);
    expect(at('c', 'running')!).toBeLessThan(at('b', 'succeeded')!);
    expect(at('d', 'running')!).toBeGreaterThanOrEqual(Math.max(at('b', 'succeeded')!, at('c', 'succeeded')!));
  });
});

describe('the feature store', () => {
  it('can live in process memory (the benchmark\'s floor without DynamoDB): same engine, queues and handlers, nothing in the table', async () => {
    const tableName = `rt-memory-${process.pid}-${Date.now()}`;
    runtime = await startTestRuntime({ featureStore: 'memory', tableName });
    const id = await submitFeature(runtime, {
      title: 'Diamond in memory',
      description: 'a, then b and c, then d',
      tasks: [sleepTask('a', 0.05), sleepTask('b', 0.05, ['a']), sleepTask('c', 0.05, ['a']), sleepTask('d', 0.05, ['b', 'c'])],
    });

    expect((await waitForExecution(runtime, id))?.status).toBe('SUCCEEDED');
    expect(await runtime.store.getFeature(id)).toMatchObject({ status: 'pr_open' });
    expect((await runtime.store.listTasks(id)).map((task) => task.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const client = createDocumentClient({ endpoint: inject('dynamoDbEndpoint') });
    try {
      expect(await new DynamoDbFeatureStore({ client, tableName, clock: systemClock, ids }).getFeature(id)).toBeUndefined();
    } finally {
      client.destroy();
    }
  });
});

describe('at-least-once delivery', () => {
  it('ignores a redelivered copy of the running attempt\'s message instead of running the task twice', async () => {
    // A visibility timeout shorter than the task: SQS hands the same message out again mid-attempt.
    runtime = await startTestRuntime({ visibilityTimeoutSeconds: 1, attemptTimeoutMs: 10_000 });
    const id = await submitFeature(runtime, { title: 'Slow', description: 'x', tasks: [sleepTask('slow', 2.5)] });

    const execution = await waitForExecution(runtime, id);

    expect(execution?.status).toBe('SUCCEEDED');
    const [task] = await runtime.store.listTasks(id);
    expect(task).toMatchObject({ status: 'succeeded', attempts: 1 });
    const starts = (await runtime.store.listEvents(id)).filter((event) => event.type === 'task.status' && event.to === 'running');
    expect(starts).toHaveLength(1);
    // The token itself is never stored, only its digest, and only while the attempt runs.
    expect(task!.attemptToken).toBeUndefined();
  });
});

describe('failure paths', () => {
  it('retries a transient failure and succeeds on the next attempt', async () => {
    runtime = await startTestRuntime();
    const id = await submitFeature(runtime, { title: 'Flaky once', description: 'x', tasks: [sleepTask('a', 0.05, [], 'fail-once')] });

    await waitForExecution(runtime, id);

    expect(await runtime.store.getTask(id, 'a')).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await runtime.store.getFeature(id)).toMatchObject({ status: 'pr_open' });
  });

  it('fails a task whose retries run out, skips its dependents, and fails the feature with the reason', async () => {
    runtime = await startTestRuntime();
    const id = await submitFeature(runtime, {
      title: 'Retries exhausted',
      description: 'x',
      tasks: [sleepTask('a', 0.05, [], 'fail-transient'), sleepTask('b', 0.05, ['a']), sleepTask('c', 0.05, ['b']), sleepTask('d', 0.05)],
    });

    const execution = await waitForExecution(runtime, id);

    expect(execution?.status).toBe('SUCCEEDED');
    const tasks = await runtime.store.listTasks(id);
    expect(Object.fromEntries(tasks.map((t) => [t.id, [t.status, t.attempts]]))).toEqual({
      a: ['failed', 3],
      b: ['skipped', 0],
      c: ['skipped', 0],
      d: ['succeeded', 1],
    });
    expect(tasks.find((t) => t.id === 'b')?.statusReason).toBe('dependency a failed');
    expect(tasks.find((t) => t.id === 'c')?.statusReason).toBe('dependency b skipped');
    const feature = await runtime.store.getFeature(id);
    expect(feature).toMatchObject({ status: 'failed' });
    expect(feature?.statusReason).toBe('tasks did not succeed: a (failed), b (skipped), c (skipped)');
  });

  it('fails a permanently failing task at once, without retries', async () => {
    runtime = await startTestRuntime();
    const id = await submitFeature(runtime, { title: 'Broken', description: 'x', tasks: [sleepTask('a', 0.05, [], 'fail'), sleepTask('b', 0.05, ['a'])] });

    await waitForExecution(runtime, id);

    expect(await runtime.store.getTask(id, 'a')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await runtime.store.getTask(id, 'b')).toMatchObject({ status: 'skipped' });
    expect(await runtime.store.getFeature(id)).toMatchObject({ status: 'failed' });
  });

  it('times out a task whose agent stops heartbeating, retries it, then fails it', async () => {
    runtime = await startTestRuntime({
      attemptTimeoutMs: 2_000,
      timeoutOverrides: { DispatchCode: { heartbeatSeconds: 0.4 } },
    });
    const id = await submitFeature(runtime, { title: 'Stuck', description: 'x', tasks: [sleepTask('a', 1, [], 'hang')] });

    const started = Date.now();
    await waitForExecution(runtime, id);

    expect(Date.now() - started).toBeLessThan(2_000);
    const task = await runtime.store.getTask(id, 'a');
    expect(task).toMatchObject({ status: 'failed', attempts: 3 });
    expect(task?.statusReason).toMatch(/^States\.HeartbeatTimeout/);
    expect(await runtime.store.getFeature(id)).toMatchObject({ status: 'failed' });
  });
});

describe('cancellation', () => {
  it('stops the execution, tells the running agent to stop, and cancels every open task', async () => {
    runtime = await startTestRuntime();
    const id = await submitFeature(runtime, {
      title: 'Long',
      description: 'x',
      tasks: [sleepTask('a', 30), sleepTask('b', 0.1, ['a'])],
    });
    const store = runtime.store;
    const deadline = Date.now() + 10_000;
    while ((await store.getTask(id, 'a'))?.status !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const response = await fetch(`${runtime.url}/features/${id}/cancel`, { method: 'POST' });

    expect(response.status).toBe(200);
    const execution = await waitForExecution(runtime, id);
    expect(execution?.status).toBe('ABORTED');
    expect(await store.getFeature(id)).toMatchObject({ status: 'cancelled' });
    expect((await store.listTasks(id)).map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    // The agent of a stops within a heartbeat or two, not after its 30 s.
    const before = Date.now();
    await runtime.stop();
    runtime = undefined;
    expect(Date.now() - before).toBeLessThan(3_000);
  });
});

describe('agent queues', () => {
  it('moves a poison message to the dead-letter queue after maxReceiveCount receives', async () => {
    runtime = await startTestRuntime({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const { client, queues } = runtime.queues;

    await client.send(new SendMessageCommand({ QueueUrl: queues.code.url, MessageBody: '{"this is":"not a task message"' }));

    const deadline = Date.now() + 10_000;
    let dead: string | undefined;
    while (!dead && Date.now() < deadline) {
      const received = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queues.code.dlqUrl, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );
      dead = received.Messages?.[0]?.Body;
    }
    expect(dead).toBe('{"this is":"not a task message"');
    const left = await client.send(new ReceiveMessageCommand({ QueueUrl: queues.code.url, WaitTimeSeconds: 0 }));
    expect(left.Messages ?? []).toHaveLength(0);
  });

  it('never runs more tasks of one agent type at once than its concurrency', async () => {
    runtime = await startTestRuntime({ agentConcurrency: { code: 2 } });
    const id = await submitFeature(runtime, {
      title: 'Wide',
      description: 'six independent tasks, two agents',
      tasks: ['a', 'b', 'c', 'd', 'e', 'f'].map((t) => sleepTask(t, 0.2)),
    });

    await waitForExecution(runtime, id);

    const events = (await runtime.store.listEvents(id)).filter((e) => e.type === 'task.status');
    let running = 0;
    let peak = 0;
    for (const event of events) {
      if (event.type !== 'task.status') continue;
      if (event.to === 'running') running++;
      if (event.from === 'running') running--;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2);
    expect(await runtime.store.getFeature(id)).toMatchObject({ status: 'pr_open' });
  });
});
