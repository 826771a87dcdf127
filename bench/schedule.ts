/**
 * Scheduling benchmark (`npm run bench:schedule`): random DAGs of `sleep` tasks
 * run through the real local engine, queues and DynamoDB store, once with the
 * `priority` policy and once with the `wave` (level-by-level) baseline.
 * See bench/README.md for what each figure means.
 *
 *   npm run bench:schedule                         # sizes 50, 200, 500
 *   npm run bench:schedule -- --sizes 20,40        # or BENCH_SIZES=20,40
 *   npm run bench:schedule -- --seed 7 --concurrency 8
 *   npm run bench:schedule -- --store memory       # tasks in process memory: the floor without DynamoDB
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../local/runtime.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local.js';
import { executionNameForFeature } from '../lambdas/ports/workflow.js';
import type { FeatureEvent } from '../lambdas/core/feature-event.js';

type Policy = 'priority' | 'wave';
type FeatureStoreKind = NonNullable<LocalRuntimeOptions['featureStore']>;
const FEATURE_STORES: readonly FeatureStoreKind[] = ['dynamodb', 'memory'];
type DocumentClient = Parameters<NonNullable<LocalRuntimeOptions['instrumentDynamoDb']>>[0];

const DEFAULT_SIZES = [50, 200, 500];
const DEFAULT_SEED = 20240917;
const DEFAULT_CONCURRENCY = 8;
const MIN_SECONDS = 0.2;
const MAX_SECONDS = 1.2;

// ---------------------------------------------------------------- the DAGs

interface BenchTask {
  readonly id: string;
  readonly dependsOn: readonly string[];
  readonly seconds: number;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A layered-ish random DAG: each task depends on 0–3 earlier tasks, picked
 * uniformly among the n/3 most recent ones (recent tasks only, so the graph has
 * depth: chains, fan-out from a task picked by several later ones, fan-in up to
 * three dependencies). About 8% of the tasks are extra roots. With 8 agents the
 * default sizes span the regimes: 50 is bound by its critical path, 200 is
 * balanced, 500 is bound by total work / concurrency.
 * Durations are uniform in [MIN_SECONDS, MAX_SECONDS], to the millisecond.
 * Each size has its own stream (seed xor n), so a DAG does not depend on which other sizes run.
 */
export function randomDag(n: number, seed: number): BenchTask[] {
  const random = prng((seed ^ n) >>> 0);
  const window = Math.max(1, Math.ceil(n / 3));
  const ids = Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(3, '0')}`);
  return ids.map((id, i) => {
    const picks = i === 0 || random() < 0.08 ? 0 : 1 + Math.floor(random() * 3);
    const deps = new Set<number>();
    for (let k = 0; k < picks; k++) deps.add(i - 1 - Math.floor(Math.min(i, window) * random()));
    const seconds = Math.round((MIN_SECONDS + random() * (MAX_SECONDS - MIN_SECONDS)) * 1000) / 1000;
    return { id, dependsOn: [...deps].sort((a, b) => a - b).map((d) => ids[d]!), seconds };
  });
}

/**
 * The same tasks listed level by level (stable within a level); still a topological order.
 * Both runs submit this order. It matters to the wave run: the workflow's Map keeps at most
 * 40 tasks waiting at a time and walks the wave run's tasks in submitted order, so a
 * low-level task listed after 40 higher-level ones would never start waiting while those
 * wait for its level to end, and the run would deadlock (see bench/README.md).
 */
export function inLevelOrder(tasks: readonly BenchTask[]): BenchTask[] {
  const level = new Map<string, number>();
  for (const task of tasks) level.set(task.id, task.dependsOn.length === 0 ? 0 : 1 + Math.max(...task.dependsOn.map((d) => level.get(d)!)));
  return tasks.map((task, index) => ({ task, index })).sort((a, b) => level.get(a.task.id)! - level.get(b.task.id)! || a.index - b.index).map(({ task }) => task);
}

interface DagShape {
  readonly criticalPath: number;
  readonly totalWork: number;
  readonly depth: number;
  readonly edges: number;
  readonly maxFanOut: number;
  readonly bound: number;
}

/** `tasks` in topological order (randomDag's order is one). */
function shapeOf(tasks: readonly BenchTask[], concurrency: number): DagShape {
  const finish = new Map<string, number>();
  const level = new Map<string, number>();
  const fanOut = new Map<string, number>();
  for (const task of tasks) {
    finish.set(task.id, task.seconds + Math.max(0, ...task.dependsOn.map((d) => finish.get(d)!)));
    level.set(task.id, task.dependsOn.length === 0 ? 0 : 1 + Math.max(...task.dependsOn.map((d) => level.get(d)!)));
    for (const d of task.dependsOn) fanOut.set(d, (fanOut.get(d) ?? 0) + 1);
  }
  const criticalPath = Math.max(...finish.values());
  const totalWork = tasks.reduce((sum, task) => sum + task.seconds, 0);
  return {
    criticalPath,
    totalWork,
    depth: Math.max(...level.values()) + 1,
    edges: tasks.reduce((sum, task) => sum + task.dependsOn.length, 0),
    maxFanOut: Math.max(0, ...fanOut.values()),
    bound: Math.max(criticalPath, totalWork / concurrency),
  };
}

/**
 * The makespan the policy would reach with zero orchestration overhead and every task
 * visible to the scheduler at once: an event-driven list schedule that starts ready tasks
 * on free agents, longest remaining path first (`priority`) or lowest level only (`wave`),
 * as lambdas/core/scheduling.ts decides. Tells policy quality apart from engine cost.
 */
export function idealMakespan(tasks: readonly BenchTask[], concurrency: number, policy: Policy): number {
  const index = new Map(tasks.map((task, i) => [task.id, i]));
  const deps = tasks.map((task) => task.dependsOn.map((d) => index.get(d)!));
  const level: number[] = [];
  deps.forEach((ds, i) => (level[i] = ds.length === 0 ? 0 : 1 + Math.max(...ds.map((d) => level[d]!))));
  // Longest remaining path: filled backwards, dependents (later in the order) before their dependencies.
  const remaining: number[] = new Array<number>(tasks.length).fill(0);
  for (let i = tasks.length - 1; i >= 0; i--) {
    remaining[i] = remaining[i]! + tasks[i]!.seconds;
    for (const d of deps[i]!) remaining[d] = Math.max(remaining[d]!, remaining[i]!);
  }
  const end: number[] = new Array<number>(tasks.length).fill(Number.POSITIVE_INFINITY);
  const started: boolean[] = new Array<boolean>(tasks.length).fill(false);
  const running: number[] = [];
  let now = 0;
  let ended = 0;
  while (ended < tasks.length) {
    const done = (i: number) => end[i]! <= now;
    let ready = tasks.map((_, i) => i).filter((i) => !started[i] && deps[i]!.every(done));
    if (policy === 'wave') {
      const lowestOpen = Math.min(...tasks.map((_, i) => i).filter((i) => !done(i)).map((i) => level[i]!));
      ready = ready.filter((i) => level[i]! <= lowestOpen);
    } else {
      ready.sort((a, b) => remaining[b]! - remaining[a]! || a - b);
    }
    for (const i of ready) {
      if (running.length >= concurrency) break;
      started[i] = true;
      end[i] = now + tasks[i]!.seconds;
      running.push(i);
    }
    now = Math.min(...running.map((i) => end[i]!));
    for (let k = running.length - 1; k >= 0; k--) {
      if (end[running[k]!]! <= now) {
        running.splice(k, 1);
        ended++;
      }
    }
  }
  return now;
}

// ---------------------------------------------------------------- DynamoDB writes

interface WriteCounter {
  /** Items written by successful write calls. */
  items: number;
  /** Items in write calls DynamoDB refused (lost conditional writes, conflicts). */
  refusedItems: number;
}

/** Items a write call puts, updates or deletes; 0 for reads. Document-client and low-level names both. */
function itemsWritten(commandName: string | undefined, input: Record<string, unknown>): number {
  switch (commandName) {
    case 'PutCommand':
    case 'PutItemCommand':
    case 'UpdateCommand':
    case 'UpdateItemCommand':
    case 'DeleteCommand':
    case 'DeleteItemCommand':
      return 1;
    case 'TransactWriteCommand':
    case 'TransactWriteItemsCommand':
      return ((input['TransactItems'] as Record<string, unknown>[] | undefined) ?? []).filter((item) => !('ConditionCheck' in item)).length;
    case 'BatchWriteCommand':
    case 'BatchWriteItemCommand':
      return Object.values((input['RequestItems'] as Record<string, unknown[]> | undefined) ?? {}).reduce((sum, requests) => sum + requests.length, 0);
    default:
      return 0;
  }
}

function countWrites(counter: WriteCounter) {
  return (client: DocumentClient) => {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const items = itemsWritten(context.commandName, args.input as Record<string, unknown>);
        try {
          const result = await next(args);
          // A batch write may hand back items it did not write; the store retries them as a new call.
          const unprocessed = (result.output as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems ?? {};
          counter.items += items - Object.values(unprocessed).reduce((sum, requests) => sum + requests.length, 0);
          return result;
        } catch (error) {
          counter.refusedItems += items;
          throw error;
        }
      },
      { step: 'initialize', name: 'benchCountWrites' },
    );
  };
}

// ---------------------------------------------------------------- one run

interface RunResult {
  readonly policy: Policy;
  readonly n: number;
  readonly makespanMs: number;
  /** planning→running to the first task →running: the workflow's start-up before any agent works. */
  readonly startDelayMs: number;
  readonly wallMs: number;
  /** Per task: (queued→running) + ((running→succeeded) − sleep), ms. */
  readonly overheadsMs: number[];
  /** The two parts of the overhead: queued→running, and running→succeeded beyond the sleep. */
  readonly pickupMs: number[];
  readonly finishMs: number[];
  /** Per task with dependencies released while an agent stayed free: →queued − latest dependency →succeeded, ms. */
  readonly releaseMs: number[];
  readonly transitions: number;
  readonly writes: WriteCounter;
}

class BenchFailure extends Error {}

async function runOnce(options: {
  policy: Policy;
  tasks: readonly BenchTask[];
  shape: DagShape;
  concurrency: number;
  featureStore: FeatureStoreKind;
  dynamoDbEndpoint: string;
  logger: Logger;
}): Promise<RunResult> {
  const { policy, tasks, concurrency } = options;
  const writes: WriteCounter = { items: 0, refusedItems: 0 };
  const runtime: LocalRuntime = await startLocalRuntime({
    dataDir: tmpdir(),
    inMemory: true,
    port: 0,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    featureStore: options.featureStore,
    tableName: `bench-${policy}-${tasks.length}-${process.pid}-${Date.now()}`,
    logger: options.logger,
    agentConcurrency: { code: concurrency },
    schedulingPolicy: policy,
    heartbeatEveryMs: 1000,
    resume: false,
    instrumentDynamoDb: countWrites(writes),
  });
  try {
    // Table creation and start-up are not the run's writes.
    writes.items = 0;
    writes.refusedItems = 0;
    const started = Date.now();
    const response = await fetch(`${runtime.url}/features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        title: `bench ${policy} ${tasks.length}`,
        description: `Scheduling benchmark: ${tasks.length} sleep tasks, ${policy} policy`,
        tasks: tasks.map((task) => ({
          id: task.id,
          title: `sleep ${task.seconds}s`,
          agentType: 'code',
          dependsOn: task.dependsOn,
          sleep: { seconds: task.seconds },
        })),
      }),
    });
    if (response.status !== 202) throw new BenchFailure(`${policy} n=${tasks.length}: submit answered ${response.status}: ${(await response.text()).slice(0, 2000)}`);
    const featureId = ((await response.json()) as { id: string }).id;

    // A safety net, far above any sane run: a stuck execution fails the bench instead of hanging it.
    const deadlineMs = 120_000 + 4_000 * (options.shape.criticalPath + options.shape.totalWork / concurrency);
    let timer: NodeJS.Timeout | undefined;
    const execution = await Promise.race([
      runtime.workflow.waitForExecution(executionNameForFeature(featureId)),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deadlineMs))),
    ]).finally(() => clearTimeout(timer));
    const wallMs = Date.now() - started;
    if (execution === 'timeout') throw new BenchFailure(`${policy} n=${tasks.length}: no end after ${Math.round(deadlineMs / 1000)}s (feature ${featureId})`);

    const feature = await runtime.store.getFeature(featureId);
    const stored = await runtime.store.listTasks(featureId);
    const unfinished = stored.filter((task) => task.status !== 'succeeded');
    const problems = [
      ...(execution?.status === 'SUCCEEDED' ? [] : [`execution ${execution?.status ?? 'missing'} ${execution?.error ?? ''} ${execution?.cause ?? ''}`.trim()]),
      ...(feature?.status === 'pr_open' ? [] : [`feature ended ${feature?.status ?? 'missing'}${feature?.statusReason ? ` (${feature.statusReason})` : ''}`]),
      ...(stored.length === tasks.length ? [] : [`${stored.length} tasks stored, ${tasks.length} submitted`]),
      ...unfinished.slice(0, 5).map((task) => `task ${task.id} ${task.status}${task.statusReason ? ` (${task.statusReason})` : ''}`),
      ...(unfinished.length > 5 ? [`… and ${unfinished.length - 5} more tasks not succeeded`] : []),
    ];
    if (problems.length > 0) throw new BenchFailure(`${policy} n=${tasks.length} (feature ${featureId}): ${problems.join('; ')}`);

    const events = await runtime.store.listEvents(featureId);
    return { policy, n: tasks.length, wallMs, writes: { ...writes }, ...measure(events, tasks, concurrency, `${policy} n=${tasks.length}`) };
  } finally {
    await runtime.stop();
  }
}

/** The figures of one run, from its event log. */
function measure(events: readonly FeatureEvent[], tasks: readonly BenchTask[], concurrency: number, label: string) {
  const at = new Map<string, number>();
  let transitions = 0;
  let runningSince: number | undefined;
  for (const event of events) {
    if (event.type === 'task.status') {
      transitions++;
      // The last entry wins: a retried task counts from its final attempt.
      at.set(`${event.taskId}:${event.to}`, Date.parse(event.at));
    } else if (event.type === 'feature.status' && event.from === 'planning' && event.to === 'running') {
      runningSince = Date.parse(event.at);
    }
  }
  const when = (taskId: string, status: string): number => {
    const time = at.get(`${taskId}:${status}`);
    if (time === undefined) throw new BenchFailure(`${label}: no ${status} event for task ${taskId}`);
    return time;
  };
  if (runningSince === undefined) throw new BenchFailure(`${label}: no planning→running event`);

  const makespanMs = Math.max(...tasks.map((task) => when(task.id, 'succeeded'))) - runningSince;
  const startDelayMs = Math.min(...tasks.map((task) => when(task.id, 'running'))) - runningSince;
  const pickupMs = tasks.map((task) => when(task.id, 'running') - when(task.id, 'queued'));
  const finishMs = tasks.map((task) => when(task.id, 'succeeded') - when(task.id, 'running') - task.seconds * 1000);
  const overheadsMs = tasks.map((_, i) => pickupMs[i]! + finishMs[i]!);

  // Agents in use at an instant: tasks queued or running then (the scheduler counts both against capacity).
  const spans = tasks.map((task) => [when(task.id, 'queued'), when(task.id, 'succeeded')] as const);
  const inFlightAt = (instant: number) => spans.filter(([from, to]) => from <= instant && instant < to).length;
  const releaseMs: number[] = [];
  for (const task of tasks) {
    if (task.dependsOn.length === 0) continue;
    const ready = Math.max(...task.dependsOn.map((d) => when(d, 'succeeded')));
    const queued = when(task.id, 'queued');
    // Only releases that waited on the scheduler, not on an agent: a slot was free from the moment the
    // task became ready until it was queued (no other task filled the last slot in between).
    const filledMeanwhile = spans.some(([from]) => from >= ready && from < queued && inFlightAt(from) >= concurrency);
    if (inFlightAt(ready) < concurrency && !filledMeanwhile) releaseMs.push(queued - ready);
  }
  return { makespanMs, startDelayMs, overheadsMs, pickupMs, finishMs, releaseMs, transitions };
}

// ---------------------------------------------------------------- report

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

const median = (values: readonly number[]) => quantile(values, 0.5);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padStart(widths[column]!)).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 500)) {
    throw new Error(`sizes must be integers in 1..500, comma separated: got "${text}"`);
  }
  return sizes;
}

function positiveInteger(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be a positive integer: got "${text}"`);
  return value;
}

/**
 * Tasks of the unmeasured warm-up run. 40 was not enough: on a freshly booted machine the first size
 * measured after it came out 0.04 worse than the same DAG run again (n=200: 1.143–1.155, then 1.10–1.11),
 * since DynamoDB Local's JIT was still compiling. A warm-up as big as the middle size costs about 20 s.
 */
const WARMUP_SIZE = 200;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { sizes: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' }, store: { type: 'string' }, 'no-warmup': { type: 'boolean' } },
  });
  const sizesText = values.sizes ?? process.env['BENCH_SIZES'];
  const seedText = values.seed ?? process.env['BENCH_SEED'];
  const concurrencyText = values.concurrency ?? process.env['BENCH_CONCURRENCY'];
  const sizes = sizesText ? parseSizes(sizesText) : DEFAULT_SIZES;
  const seed = seedText ? positiveInteger(seedText, 'seed') : DEFAULT_SEED;
  const concurrency = concurrencyText ? positiveInteger(concurrencyText, 'concurrency') : DEFAULT_CONCURRENCY;
  const featureStore = (values.store ?? process.env['BENCH_STORE'] ?? 'dynamodb') as FeatureStoreKind;
  if (!FEATURE_STORES.includes(featureStore)) throw new Error(`store must be one of ${FEATURE_STORES.join(', ')}: got "${featureStore}"`);
  const logger = new Logger({ serviceName: 'dsf-bench', logLevel: 'SILENT' });
  // The SDK's notice about future Node versions is noise here.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

  console.log(
    `schedule bench: sizes=${sizes.join(',')} seed=${seed} concurrency=${concurrency} (code agents) durations=[${MIN_SECONDS}, ${MAX_SECONDS}]s store=${featureStore}` +
      (featureStore === 'memory' ? ' (tasks in process memory: no DynamoDB writes to count; the floor the engine and queues leave)' : ''),
  );
  const benchStarted = Date.now();
  let dynamo: DynamoDbLocal | undefined;
  const results: { n: number; shape: DagShape; ideal: Record<Policy, number>; priority: RunResult; wave: RunResult }[] = [];
  try {
    dynamo = await startDynamoDbLocal();
    if (!values['no-warmup']) {
      // A fresh JVM (DynamoDB Local) and fresh V8 code run their first several thousand requests slowly while
      // they compile; a factory that has been up for a few minutes no longer pays that. One unmeasured run
      // first, so the first size is not charged the start-up of the machine (--no-warmup to see it).
      const warmup = inLevelOrder(randomDag(WARMUP_SIZE, seed ^ 0x5eed));
      const result = await runOnce({ policy: 'priority', tasks: warmup, shape: shapeOf(warmup, concurrency), concurrency, featureStore, dynamoDbEndpoint: dynamo.endpoint, logger });
      console.log(`
warm-up (not measured): n=${WARMUP_SIZE}, makespan ${(result.makespanMs / 1000).toFixed(2)}s, ratio ${(result.makespanMs / 1000 / shapeOf(warmup, concurrency).bound).toFixed(3)}`);
    }
    for (const n of sizes) {
      const tasks = inLevelOrder(randomDag(n, seed));
      const shape = shapeOf(tasks, concurrency);
      console.log(
        `\nn=${n}: ${shape.edges} edges, depth ${shape.depth}, max fan-out ${shape.maxFanOut}, ` +
          `critical path ${shape.criticalPath.toFixed(2)}s, work ${shape.totalWork.toFixed(2)}s ` +
          `(/${concurrency} = ${(shape.totalWork / concurrency).toFixed(2)}s), lower bound ${shape.bound.toFixed(2)}s`,
      );
      const ideal = { priority: idealMakespan(tasks, concurrency, 'priority'), wave: idealMakespan(tasks, concurrency, 'wave') };
      const run = async (policy: Policy) => {
        const result = await runOnce({ policy, tasks, shape, concurrency, featureStore, dynamoDbEndpoint: dynamo!.endpoint, logger });
        console.log(
          `  ${policy.padEnd(8)} makespan ${(result.makespanMs / 1000).toFixed(2)}s, ratio ${(result.makespanMs / 1000 / shape.bound).toFixed(3)} ` +
            `(zero-overhead ${(ideal[policy] / shape.bound).toFixed(3)}), first task running after ${result.startDelayMs}ms, ` +
            `overhead p50 ${median(result.overheadsMs).toFixed(1)}ms, release p50 ${median(result.releaseMs).toFixed(1)}ms, wall ${(result.wallMs / 1000).toFixed(1)}s`,
        );
        return result;
      };
      const priority = await run('priority');
      const wave = await run('wave');
      results.push({ n, shape, ideal, priority, wave });
    }
  } catch (error) {
    console.error(`\nschedule bench FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof BenchFailure) && error instanceof Error && error.stack) console.error(error.stack);
    return 1;
  } finally {
    await dynamo?.stop();
  }

  const ratio = (run: RunResult, shape: DagShape) => run.makespanMs / 1000 / shape.bound;
  console.log('\n' + table(
    ['n', 'bound_s', 'makespan_s', 'ratio', 'wave_makespan_s', 'wave_ratio', 'ideal_ratio', 'ideal_wave_ratio', 'overhead_p50_ms', 'overhead_p90_ms', 'release_p50_ms', 'transitions/task', 'writes/task'],
    results.map(({ n, shape, ideal, priority, wave }) => [
      String(n),
      shape.bound.toFixed(2),
      (priority.makespanMs / 1000).toFixed(2),
      ratio(priority, shape).toFixed(3),
      (wave.makespanMs / 1000).toFixed(2),
      ratio(wave, shape).toFixed(3),
      (ideal.priority / shape.bound).toFixed(3),
      (ideal.wave / shape.bound).toFixed(3),
      median(priority.overheadsMs).toFixed(1),
      quantile(priority.overheadsMs, 0.9).toFixed(1),
      median(priority.releaseMs).toFixed(1),
      (priority.transitions / n).toFixed(2),
      (priority.writes.items / n).toFixed(2),
    ]),
  ));

  const priorityRuns = results.map((result) => result.priority);
  const taskCount = priorityRuns.reduce((sum, run) => sum + run.n, 0);
  const overheads = priorityRuns.flatMap((run) => run.overheadsMs);
  const releases = priorityRuns.flatMap((run) => run.releaseMs);
  const pickups = priorityRuns.flatMap((run) => run.pickupMs);
  const finishes = priorityRuns.flatMap((run) => run.finishMs);
  const refused = priorityRuns.reduce((sum, run) => sum + run.writes.refusedItems, 0);
  const worstRatio = Math.max(...results.map(({ priority, shape }) => ratio(priority, shape)));
  const worstWaveRatio = Math.max(...results.map(({ wave, shape }) => ratio(wave, shape)));
  const transitionsPerTask = priorityRuns.reduce((sum, run) => sum + run.transitions, 0) / taskCount;
  const writesPerTask = priorityRuns.reduce((sum, run) => sum + run.writes.items, 0) / taskCount;
  console.log(
    `\npriority runs, all ${taskCount} tasks: overhead p50 ${median(overheads).toFixed(1)}ms p90 ${quantile(overheads, 0.9).toFixed(1)}ms ` +
      `(queued→running p50 ${median(pickups).toFixed(1)}ms p90 ${quantile(pickups, 0.9).toFixed(1)}ms, ` +
      `running→succeeded beyond sleep p50 ${median(finishes).toFixed(1)}ms p90 ${quantile(finishes, 0.9).toFixed(1)}ms);\n  ` +
      `release latency p50 ${median(releases).toFixed(1)}ms p90 ${quantile(releases, 0.9).toFixed(1)}ms over ${releases.length} releases while an agent stayed free; ` +
      `refused write items ${refused}; bench took ${((Date.now() - benchStarted) / 1000).toFixed(0)}s`,
  );
  console.log(
    `schedule: ratio=${worstRatio.toFixed(3)} wave_ratio=${worstWaveRatio.toFixed(3)} overhead_ms=${median(overheads).toFixed(1)} ` +
      `transitions_per_task=${transitionsPerTask.toFixed(2)} writes_per_task=${writesPerTask.toFixed(2)}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
