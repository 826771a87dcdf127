/**
 * DynamoDB Local, call by call (`npm run bench:dynamodb`): what each kind of call a task's
 * hand-over makes costs on this machine, back to back and after a 10 ms pause (a hand-over's calls
 * come a few ms apart, and DynamoDB Local answers slower after even a short idle spell). The
 * schedule bench's ratio is bounded by these numbers; bench/README.md (session 5) has one run.
 *
 * The feature is real: 200 tasks written by the DynamoDB feature store, waiting with their
 * callback tokens, and 1,000 events in the same partition. Writes touch those task items.
 */
import { parseArgs } from 'node:util';
import { BatchGetCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { createDocumentClient, ensureTable } from '../lambdas/adapters/dynamodb/dynamodb-client.js';
import { DynamoDbFeatureStore } from '../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { keys } from '../lambdas/adapters/dynamodb/table-design.js';
import { createUlidIdSource } from '../lambdas/adapters/ulid-id-source.js';
import { percentile } from '../lambdas/core/factory-metrics.js';
import { buildNewFeature, featureRequestSchema } from '../lambdas/core/new-feature.js';
import { systemClock } from '../lambdas/ports/clock.js';

const TABLE = 'bench';
const TASKS = 200;
const EVENTS = 1_000;

const { values } = parseArgs({ options: { calls: { type: 'string' } } });
const callsPerKind = Number(values.calls ?? 300);
if (!Number.isInteger(callsPerKind) || callsPerKind < 10) {
  console.error('--calls must be an integer of at least 10');
  process.exit(2);
}

const dynamo = await startDynamoDbLocal();
try {
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureTable(client, TABLE);
  const ids = createUlidIdSource();
  const store = new DynamoDbFeatureStore({ client, tableName: TABLE, clock: systemClock, ids });

  const request = featureRequestSchema.parse({
    title: 'Call costs',
    description: 'A feature of 200 tasks, as a scheduler pass finds it.',
    tasks: Array.from({ length: TASKS }, (_, i) => ({
      id: `t${i}`,
      title: `task ${i}`,
      description: 'Given the service, when the route is called, then it answers. '.repeat(4),
      acceptanceCriteria: ['Given a request, when it is sent, then the answer is 200'],
      dependsOn: i === 0 ? [] : [`t${Math.floor(i / 2)}`],
    })),
  });
  const { feature, tasks } = buildNewFeature(request, { id: `feat_${ids.ulid()}`, now: systemClock.now().toISOString(), defaults: { repo: 'r', baseBranch: 'main' } });
  await store.createFeature({ feature, tasks });
  for (const task of tasks) await store.transitionTaskInPlace(feature.id, task.id, { to: 'waiting', expectedFrom: 'pending', waitToken: `token-${'x'.repeat(60)}` });
  for (let i = tasks.length; i < EVENTS; i++) await store.appendNote(feature.id, { message: `note ${i}` });

  const taskKey = (i: number) => keys.task(feature.id, `t${i % TASKS}`);
  const bumpVersion = (i: number) => ({
    TableName: TABLE,
    Key: taskKey(i),
    UpdateExpression: 'SET #version = #version + :one',
    ConditionExpression: 'attribute_exists(PK)',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':one': 1 },
  });
  const eventPut = (i: number) => ({ TableName: TABLE, Item: { ...keys.event(feature.id, ids.ulid()), type: 'note', message: `bench ${i}` } });

  const kinds: [string, (i: number) => Promise<unknown>][] = [
    ['GetItem, one task', (i) => client.send(new GetCommand({ TableName: TABLE, Key: taskKey(i), ConsistentRead: true }))],
    ['BatchGetItem, feature and task (a worker’s first read)', (i) => client.send(new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: [keys.feature(feature.id), taskKey(i)], ConsistentRead: true } } }))],
    ['UpdateItem, one task', (i) => client.send(new UpdateCommand(bumpVersion(i)))],
    ['TransactWrite, a task and its event (a transition)', (i) => client.send(new TransactWriteCommand({ TransactItems: [{ Update: bumpVersion(i) }, { Put: eventPut(i) }] }))],
    ['TransactWrite, two tasks and an event', (i) => client.send(new TransactWriteCommand({ TransactItems: [{ Update: bumpVersion(i) }, { Update: bumpVersion(i + 1) }, { Put: eventPut(i) }] }))],
    [`getSchedulingView, ${TASKS} tasks (a scheduler pass’s read)`, () => store.getSchedulingView(feature.id)],
  ];

  console.log(`DynamoDB Local, ${callsPerKind} calls of each kind (ms; the first round of every kind warms the JVM and is not shown)\n`);
  console.log(`${'call'.padEnd(60)}  back to back p50/p90   after 10 ms p50/p90`);
  for (const [name, call] of kinds) {
    const row: string[] = [];
    for (const pauseMs of [0, 10]) {
      let samples: number[] = [];
      for (const round of [0, 1]) {
        samples = [];
        for (let i = 0; i < callsPerKind; i++) {
          if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          const started = performance.now();
          await call(i + round * callsPerKind);
          samples.push(performance.now() - started);
        }
      }
      const sorted = samples.sort((a, b) => a - b);
      row.push(`${percentile(sorted, 50)!.toFixed(1).padStart(9)} / ${percentile(sorted, 90)!.toFixed(1).padEnd(6)}`);
    }
    console.log(`${name.padEnd(60)}  ${row.join('   ')}`);
  }
} finally {
  await dynamo.stop();
}
